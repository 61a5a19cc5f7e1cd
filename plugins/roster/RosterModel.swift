import Foundation
import PluginAPI
import PluginSupport

/// A household id `BUILDING-UNIT-ROOM` (`3-2-501`), ordered in walking order: building, unit,
/// floor, room, with numbers compared as numbers.
struct HouseholdID: Hashable, Comparable, Codable, CustomStringConvertible, Sendable {
    var building: String
    var unit: String
    var room: String

    var description: String { "\(building)-\(unit)-\(room)" }

    /// The floor a room is on: `501` → 5, `1102` → 11; rooms without digits are floor 0.
    var floor: Int { (Int(room.filter(\.isNumber)) ?? 0) / 100 }

    init(building: String, unit: String, room: String) {
        self.building = building
        self.unit = unit
        self.room = room
    }

    /// Parses `3-2-501`.
    ///
    /// Split on the `-` scalar, not on characters: a part that starts with a combining mark
    /// makes `-` and that mark one character, and the id the import built from its parts
    /// then did not parse back (found by fuzzing; `roster.export` trapped on it).
    init?(_ text: String) {
        let parts = text.unicodeScalars.split(separator: "-", omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
        guard parts.count == 3, parts.allSatisfy({ Self.problem(with: $0) == nil }) else { return nil }
        self.init(building: parts[0], unit: parts[1], room: parts[2])
    }

    /// Why a building, unit or room name is not usable, or nil.
    static func problem(with part: String) -> String? {
        if part.isEmpty { return "is empty" }
        if part.count > 16 { return "is longer than 16 characters" }
        if part.contains(where: { $0 == "-" || $0.isWhitespace || $0 == "," }) { return "must not contain '-', ',' or spaces" }
        return nil
    }

    static func < (a: HouseholdID, b: HouseholdID) -> Bool {
        let ka = (NaturalKey(a.building), NaturalKey(a.unit), a.floor, NaturalKey(a.room))
        let kb = (NaturalKey(b.building), NaturalKey(b.unit), b.floor, NaturalKey(b.room))
        if ka.0 != kb.0 { return ka.0 < kb.0 }
        if ka.1 != kb.1 { return ka.1 < kb.1 }
        if ka.2 != kb.2 { return ka.2 < kb.2 }
        return ka.3 < kb.3
    }
}

/// Orders "2" before "10" and "3A" after "3".
struct NaturalKey: Comparable {
    let number: Int
    let text: String

    init(_ s: String) {
        number = Int(s.prefix(while: \.isNumber)) ?? Int.max
        text = s
    }

    static func < (a: NaturalKey, b: NaturalKey) -> Bool { a.number != b.number ? a.number < b.number : a.text < b.text }
}

/// A resident as recorded. Identity within the roster is (household, name).
struct Resident: Codable, Equatable, Sendable {
    var household: String
    var name: String
    var phone: String?
    var birthYear: Int?
    var sex: String?
    var tags: [String]
    /// Due date of a pregnant resident (ISO date).
    var due: String?
    var note: String?
    /// The ID number (身份证号): only its last 4 characters (`**************123X`) unless
    /// `[plugins.roster] keep_id_numbers = true`. Masked for viewers either way.
    var idNumber: String?

    enum CodingKeys: String, CodingKey {
        case household, name, phone, birthYear = "birth_year", sex, tags, due, note, idNumber = "id_number"
    }
}

/// The tag vocabulary (docs: plugins/roster/README.md).
enum Tags {
    static let vocabulary = ["elderly-alone", "pregnant", "disabled", "chronic-illness", "needs-medicine", "migrant-tenant",
                             "infant", "child"]

    /// Parses `elderly-alone;pregnant:2022-02-15` into tags and a due date.
    static func parse(_ text: String) -> Result<(tags: [String], due: String?), FieldError> {
        var tags: [String] = []
        var due: String?
        for raw in text.split(whereSeparator: { $0 == ";" || $0 == "；" }) {
            let item = raw.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            var tag = item
            if let colon = item.firstIndex(of: ":") {
                tag = String(item[..<colon])
                let date = String(item[item.index(after: colon)...])
                guard tag == "pregnant" else { return .failure(FieldError("only pregnant takes a date (pregnant:YYYY-MM-DD), got '\(item)'")) }
                guard date.count == 10, ValueParser.time(date) != nil else {
                    return .failure(FieldError("due date '\(date)' is not YYYY-MM-DD"))
                }
                due = date
            }
            guard vocabulary.contains(tag) else {
                return .failure(FieldError("unknown tag '\(tag)'; tags are \(vocabulary.joined(separator: ", "))"))
            }
            if !tags.contains(tag) { tags.append(tag) }
        }
        return .success((tags.sorted(), due))
    }

    /// Tags as written in CSV: `pregnant:2022-02-15;elderly-alone`.
    static func format(_ tags: [String], due: String?) -> String {
        tags.map { $0 == "pregnant" && due != nil ? "pregnant:\(due!)" : $0 }.joined(separator: ";")
    }
}

/// Field validation shared by CSV import and the resident commands.
enum Fields {
    /// A phone number; full-width digits and punctuation (`１３８…`) are read as ASCII.
    static func phone(_ raw: String) -> Result<String?, FieldError> {
        let v = Normal.trimmed(Normal.compatible(raw))
        if v.isEmpty { return .success(nil) }
        let digits = v.filter { $0.isASCII && $0.isNumber }
        guard v.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "-" || $0 == "+" || $0 == " " }), (5...15).contains(digits.count) else {
            return .failure(FieldError("phone '\(v)' is not a phone number (5 to 15 digits)"))
        }
        if digits.count == 11, digits.first == "1", !v.contains("-") {
            guard let second = digits.dropFirst().first, "3456789".contains(second) else {
                return .failure(FieldError("mobile number '\(v)' must start with 13 to 19"))
            }
        }
        return .success(v)
    }

    static func birthYear(_ raw: String) -> Result<Int?, FieldError> {
        let v = raw.trimmingCharacters(in: .whitespaces)
        if v.isEmpty { return .success(nil) }
        guard let year = Int(v), (1900...2100).contains(year) else { return .failure(FieldError("birth year '\(v)' is not a year from 1900 to 2100")) }
        return .success(year)
    }

    /// The year of a 出生年月 / 出生日期 cell: `1985`, `1985-03`, `1985年3月`, `1985/3/1`,
    /// `1985.3`, `198503`, `19850301`, `3/1/1985` (full-width digits too). Month and day are
    /// checked, not kept.
    static func birth(_ raw: String) -> Result<Int?, FieldError> {
        let v = Normal.trimmed(Normal.compatible(raw))
        if v.isEmpty { return .success(nil) }
        let bad = FieldError("birth date '\(raw)' is not a year or a date such as 1985, 1985-03, 1985年3月 or 1985/3/1 "
            + "(years 1900 to 2100)")
        guard v.allSatisfy({ $0.isASCII && $0.isNumber || "-/.年月日 ".contains($0) }) else { return .failure(bad) }
        let runs = v.split(whereSeparator: { !($0.isASCII && $0.isNumber) }).map(String.init)
        var year: Int?
        var month: Int?
        switch (runs.count, runs.first?.count ?? 0) {
        case (1, 4): year = Int(runs[0])
        case (1, 6), (1, 8): year = Int(runs[0].prefix(4)); month = Int(runs[0].dropFirst(4).prefix(2))
        case (2...3, 4): year = Int(runs[0]); month = Int(runs[1])
        case (3, _) where runs[2].count == 4: year = Int(runs[2]); month = Int(runs[0])
        default: break
        }
        guard let year, (1900...2100).contains(year), (month.map { (1...12).contains($0) } ?? true) else { return .failure(bad) }
        return .success(year)
    }

    /// An ID number (身份证号): 18 characters (17 digits and a digit or X) or 15 digits, full-width
    /// read as ASCII; or one already masked (`**************123X`, as exported). Unless `keep`,
    /// only the last 4 are kept.
    static func idNumber(_ raw: String, keep: Bool) -> Result<String?, FieldError> {
        let v = Normal.trimmed(Normal.compatible(raw)).uppercased().replacingOccurrences(of: " ", with: "")
        if v.isEmpty { return .success(nil) }
        let chars = Array(v)
        let digitOrX: (Character) -> Bool = { ($0.isASCII && $0.isNumber) || $0 == "X" }
        let stars = chars.prefix { $0 == "*" }.count
        if stars > 0 {
            guard chars.count == stars + 4, chars.suffix(4).allSatisfy(digitOrX) else {
                return .failure(FieldError("masked ID number '\(raw)' must be stars and the last 4 characters"))
            }
            return .success(v)
        }
        let whole = (chars.count == 18 && chars.prefix(17).allSatisfy { $0.isASCII && $0.isNumber } && digitOrX(chars[17]))
            || (chars.count == 15 && chars.allSatisfy { $0.isASCII && $0.isNumber })
        guard whole else { return .failure(FieldError("ID number '\(raw)' is not 18 characters (17 digits and a digit or X) or 15 digits")) }
        return .success(keep ? v : maskID(v))
    }

    /// `**************123X`: what viewers see, and what is stored by default.
    static func maskID(_ id: String) -> String {
        guard id.count > 4 else { return id }
        return String(repeating: "*", count: id.count - 4) + String(id.suffix(4))
    }

    static func sex(_ raw: String) -> Result<String?, FieldError> {
        switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
        case "": return .success(nil)
        case "m", "male", "男": return .success("M")
        case "f", "female", "女": return .success("F")
        default: return .failure(FieldError("sex '\(raw)' is not M, F, 男 or 女"))
        }
    }

    static func name(_ raw: String) -> Result<String, FieldError> {
        let v = raw.trimmingCharacters(in: .whitespaces)
        if v.isEmpty { return .failure(FieldError("name is empty")) }
        if v.count > 64 { return .failure(FieldError("name is longer than 64 characters")) }
        if v.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return .failure(FieldError("name contains a control character (a line break or tab)"))
        }
        return .success(v)
    }

    /// `138****5678` for viewers.
    static func maskPhone(_ phone: String) -> String {
        let chars = Array(phone)
        guard chars.count > 7 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(3)) + String(repeating: "*", count: chars.count - 7) + String(chars.suffix(4))
    }
}

/// Why a field value is refused.
struct FieldError: Error, CustomStringConvertible {
    let reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { reason }
}
