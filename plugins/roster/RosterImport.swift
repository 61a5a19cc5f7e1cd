import PluginAPI
import PluginSupport
import Foundation

/// Turns an import body (CSV, English or Chinese headers) into residents and row problems.
enum RosterImport {
    /// A bad row: where it is and what is wrong.
    struct Problem: Sendable {
        var line: Int
        var column: Int
        var field: String
        var reason: String

        var json: JSON {
            ["line": .number(line), "column": .number(column), "field": .string(field), "reason": .string(reason)]
        }
        var text: String { "line \(line), column \(column) (\(field)): \(reason)" }
    }

    static let columns: [(key: String, chinese: String, required: Bool)] = [
        ("building", "楼栋", true), ("unit", "单元", true), ("room", "房号", true), ("name", "姓名", true),
        ("phone", "电话", false), ("birth_year", "出生年份", false), ("sex", "性别", false), ("tags", "标签", false),
        ("note", "备注", false),
    ]

    /// The residents of `body` and the problems of its bad rows.
    ///
    /// - Throws: ``ControlError`` for a body that is not usable at all (no header, a missing
    ///   required column, an unknown column).
    static func parse(_ body: String) throws(ControlError)
        -> (residents: [(line: Int, resident: Resident)], problems: [Problem], vacant: [String])
    {
        let rows: [CSV.Row]
        do {
            rows = try CSV.parse(body)
        } catch {
            throw .invalidArgument("body line \(error.line): \(error.message)")
        }
        guard let header = rows.first else { throw .invalidArgument("the body is empty: expected a CSV header line") }
        var index: [String: Int] = [:]
        for (i, raw) in header.fields.enumerated() {
            let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
            guard let column = columns.first(where: { $0.key == name || $0.chinese == name }) else {
                throw .invalidArgument("body line \(header.line), column \(i + 1): unknown column '\(raw)'; expected "
                    + columns.map { "\($0.key)/\($0.chinese)" }.joined(separator: ", "))
            }
            guard index[column.key] == nil else {
                throw .invalidArgument("body line \(header.line), column \(i + 1): column '\(raw)' appears twice")
            }
            index[column.key] = i
        }
        for column in columns where column.required && index[column.key] == nil {
            throw .invalidArgument("body line \(header.line): missing required column '\(column.key)' (\(column.chinese))")
        }
        var residents: [(Int, Resident)] = []
        var problems: [Problem] = []
        var vacant: [String] = []
        var seen: [String: Int] = [:]
        for row in rows.dropFirst() {
            guard row.fields.count == header.fields.count else {
                problems.append(Problem(line: row.line, column: min(row.fields.count, header.fields.count) + 1, field: "-",
                                        reason: "the row has \(row.fields.count) fields, the header \(header.fields.count)"))
                continue
            }
            func value(_ key: String) -> String { index[key].map { row.fields[$0] } ?? "" }
            func fail(_ key: String, _ reason: String) {
                problems.append(Problem(line: row.line, column: (index[key] ?? 0) + 1, field: key, reason: reason))
            }
            var bad = false
            var parts: [String] = []
            for key in ["building", "unit", "room"] {
                let v = value(key).trimmingCharacters(in: .whitespaces)
                if let problem = HouseholdID.problem(with: v) { fail(key, "\(key) '\(v)' \(problem)"); bad = true }
                parts.append(v)
            }
            var resident = Resident(household: parts.joined(separator: "-"), name: "", tags: [])
            // A row with only building, unit and room is a household with nobody (vacant).
            let others = header.fields.indices.filter { i in !["building", "unit", "room"].contains(where: { index[$0] == i }) }
            if !bad, others.allSatisfy({ row.fields[$0].trimmingCharacters(in: .whitespaces).isEmpty }) {
                vacant.append(resident.household)
                continue
            }
            switch Fields.name(value("name")) {
            case .success(let n): resident.name = n
            case .failure(let why): fail("name", why.reason); bad = true
            }
            switch Fields.phone(value("phone")) {
            case .success(let p): resident.phone = p
            case .failure(let why): fail("phone", why.reason); bad = true
            }
            switch Fields.birthYear(value("birth_year")) {
            case .success(let y): resident.birthYear = y
            case .failure(let why): fail("birth_year", why.reason); bad = true
            }
            switch Fields.sex(value("sex")) {
            case .success(let s): resident.sex = s
            case .failure(let why): fail("sex", why.reason); bad = true
            }
            switch Tags.parse(value("tags")) {
            case .success(let t): (resident.tags, resident.due) = t
            case .failure(let why): fail("tags", why.reason); bad = true
            }
            let note = value("note").trimmingCharacters(in: .whitespaces)
            resident.note = note.isEmpty ? nil : note
            if bad { continue }
            let key = resident.household + "\u{0}" + resident.name
            if let first = seen[key] {
                fail("name", "\(resident.name) in \(resident.household) is already on line \(first)")
                continue
            }
            seen[key] = row.line
            residents.append((row.line, resident))
        }
        return (residents, problems, vacant)
    }

    /// The roster as CSV with English headers (round-trips with ``parse(_:)``): a household
    /// with nobody is a row with only building, unit and room.
    static func export(_ residents: [Resident], vacant: [HouseholdID] = []) -> String {
        var out = columns.map(\.key).joined(separator: ",") + "\n"
        for id in vacant { out += [id.building, id.unit, id.room].map(CSV.field).joined(separator: ",") + ",,,,,,\n" }
        for r in residents {
            // Every stored id parses; an export must never trap on one that does not.
            let id = HouseholdID(r.household) ?? HouseholdID(building: r.household, unit: "", room: "")
            let fields = [id.building, id.unit, id.room, r.name, r.phone ?? "", r.birthYear.map(String.init) ?? "", r.sex ?? "",
                          Tags.format(r.tags, due: r.due), r.note ?? ""]
            out += fields.map(CSV.field).joined(separator: ",") + "\n"
        }
        return out
    }
}
