import PluginAPI
import PluginSupport
import Foundation

/// Turns an import body (CSV or tab-separated text, English, Chinese or WPS/Excel header
/// words) into residents and row problems.
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

    /// How a body is read.
    struct Options: Sendable {
        /// Empty building and unit cells take the value of the row above (merged cells).
        var fillDown = false
        /// Keep whole ID numbers (`[plugins.roster] keep_id_numbers`); else only the last 4.
        var keepIDNumbers = false
    }

    /// What a body holds.
    struct Parsed: Sendable {
        var residents: [(line: Int, resident: Resident)] = []
        var problems: [Problem] = []
        /// Households of rows with nobody in them (vacant flats).
        var vacant: [String] = []
        /// Data rows read (residents, vacant flats and bad rows).
        var rows = 0
        /// Cells filled from the row above (`fill_down`).
        var filled = 0
    }

    /// A column: its key (English header and export header), its Chinese export header, the
    /// other header words spreadsheets use for it, whether it is required.
    struct Column: Sendable {
        var key: String
        var chinese: String
        var aliases: [String]
        var required: Bool
        var names: [String] { [key, chinese] + aliases }
    }

    static let columns: [Column] = [
        Column(key: "building", chinese: "楼栋", aliases: ["楼号", "楼栋号", "栋号", "楼"], required: true),
        Column(key: "unit", chinese: "单元", aliases: ["单元号"], required: true),
        Column(key: "room", chinese: "房号", aliases: ["房间号", "室号"], required: true),
        Column(key: "name", chinese: "姓名", aliases: [], required: true),
        Column(key: "phone", chinese: "电话", aliases: ["联系电话", "手机号", "手机号码", "手机", "电话号码", "联系方式"], required: false),
        Column(key: "birth_year", chinese: "出生年份", aliases: ["出生年月", "出生日期", "出生年"], required: false),
        Column(key: "sex", chinese: "性别", aliases: [], required: false),
        Column(key: "tags", chinese: "标签", aliases: [], required: false),
        Column(key: "note", chinese: "备注", aliases: [], required: false),
        Column(key: "id_number", chinese: "身份证号", aliases: ["身份证号码", "身份证", "公民身份号码"], required: false),
        // Building, unit and room in one cell: `3-2-501`, `3栋2单元501`.
        Column(key: "household", chinese: "户号", aliases: [], required: false),
    ]

    /// The residents of `body` and the problems of its bad rows.
    ///
    /// - Throws: ``ControlError`` for a body that is not usable at all (no header, a missing
    ///   required column, unknown columns, all named at once).
    static func parse(_ body: String, options: Options = Options()) throws(ControlError) -> Parsed {
        var rows: [CSV.Row]
        do {
            rows = try CSV.parse(body, separator: separator(of: body))
        } catch {
            throw .invalidArgument("body line \(error.line): \(error.message)")
        }
        guard let header = rows.first else { throw .invalidArgument("the body is empty: expected a CSV header line") }
        // Spreadsheets save formatted but empty columns as empty header cells at the end.
        var width = header.fields.count
        while width > 0, Normal.trimmed(header.fields[width - 1]).isEmpty { width -= 1 }
        var index: [String: Int] = [:]
        var unknown: [String] = []
        for (i, raw) in header.fields.prefix(width).enumerated() {
            let name = Normal.compatible(Normal.trimmed(raw)).lowercased()
            guard let column = columns.first(where: { $0.names.contains(name) }) else {
                unknown.append(name.isEmpty ? "column \(i + 1) has no header" : "column \(i + 1): unknown column '\(raw)'")
                continue
            }
            guard index[column.key] == nil else {
                throw .invalidArgument("body line \(header.line), column \(i + 1): column '\(raw)' appears twice")
            }
            index[column.key] = i
        }
        if !unknown.isEmpty {
            throw .invalidArgument("body line \(header.line), " + unknown.joined(separator: "; ") + "; the columns are "
                + columns.map { "\($0.key)/" + ([$0.chinese] + $0.aliases).joined(separator: "/") }.joined(separator: ", "))
        }
        let parts = ["building", "unit", "room"]
        for column in columns where column.required && index[column.key] == nil {
            if parts.contains(column.key), index["household"] != nil { continue }
            throw .invalidArgument("body line \(header.line): missing required column '\(column.key)' (\(column.chinese))"
                + (parts.contains(column.key) ? ", or 户号 (household) for building, unit and room in one cell" : ""))
        }
        var out = Parsed()
        var seen: [String: Int] = [:]
        var above: (building: String, unit: String)?
        let placeKeys = parts + ["household"]
        for var row in rows.dropFirst() {
            out.rows += 1
            // Cells past the header's last named column are ignored when they are empty.
            if row.fields.count > width, row.fields[width...].allSatisfy({ Normal.trimmed($0).isEmpty }) {
                row.fields.removeLast(row.fields.count - width)
            }
            guard row.fields.count == width else {
                out.problems.append(Problem(line: row.line, column: min(row.fields.count, width) + 1, field: "-",
                                            reason: "the row has \(row.fields.count) fields, the header \(width)"))
                continue
            }
            func value(_ key: String) -> String { index[key].map { row.fields[$0] } ?? "" }
            func fail(_ key: String, _ reason: String) {
                out.problems.append(Problem(line: row.line, column: (index[key] ?? 0) + 1, field: key, reason: reason))
            }
            var bad = false
            var id: HouseholdID?
            let combined = Normal.trimmed(value("household"))
            if !combined.isEmpty {
                switch HouseholdID.parse(spreadsheet: combined) {
                case .success(let parsed): id = parsed
                case .failure(let why): fail("household", why.reason); bad = true
                }
            } else if index["building"] != nil {
                var place: [String] = []
                for key in parts {
                    var v = Normal.part(value(key), key: key)
                    if v.isEmpty, key != "room", let above, key == "building" || place[0] == above.building {
                        let from = key == "building" ? above.building : above.unit
                        if options.fillDown {
                            v = from
                            out.filled += 1
                        } else {
                            fail(key, "\(key) is empty; if the cell was merged with the one above ('\(from)'), import with "
                                + "fill_down=yes to take the value of the row above")
                            bad = true
                        }
                    } else if let problem = HouseholdID.problem(with: v) {
                        fail(key, "\(key) '\(v)' \(problem)")
                        bad = true
                    }
                    place.append(v)
                }
                if !bad { id = HouseholdID(building: place[0], unit: place[1], room: place[2]) }
            } else {
                fail("household", "household is empty")
                bad = true
            }
            if let id { above = (id.building, id.unit) }
            var resident = Resident(household: id?.description ?? "", name: "", tags: [])
            // A row with only its place is a household with nobody (vacant).
            let others = (0..<width).filter { i in !placeKeys.contains(where: { index[$0] == i }) }
            if !bad, others.allSatisfy({ Normal.trimmed(row.fields[$0]).isEmpty }) {
                out.vacant.append(resident.household)
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
            switch Fields.birth(value("birth_year")) {
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
            switch Fields.idNumber(value("id_number"), keep: options.keepIDNumbers) {
            case .success(let n): resident.idNumber = n
            case .failure(let why): fail("id_number", why.reason); bad = true
            }
            let note = Normal.trimmed(value("note"))
            resident.note = note.isEmpty ? nil : note
            if bad { continue }
            let key = resident.household + "\u{0}" + resident.name
            if let first = seen[key] {
                fail("name", "\(resident.name) in \(resident.household) is already on line \(first)")
                continue
            }
            seen[key] = row.line
            out.residents.append((row.line, resident))
        }
        return out
    }

    /// Tab-separated text (Excel's "Unicode text") when the header line has tabs and no commas.
    static func separator(of body: String) -> Unicode.Scalar {
        let header = body.unicodeScalars.prefix { $0 != "\n" }
        return header.contains("\t") && !header.contains(",") ? "\t" : ","
    }

    /// Export header words: English keys, or the Chinese words (the default).
    enum Headers: String, CaseIterable, Sendable {
        case zh, en
    }

    /// The roster as a CSV file Excel and WPS open correctly: UTF-8 with a byte-order mark,
    /// CRLF line ends, Chinese (`zh`) or English (`en`) headers. It round-trips with
    /// ``parse(_:options:)``: a household with nobody is a row with only building, unit and
    /// room; the ID number column is there only when someone has one.
    static func export(_ residents: [Resident], vacant: [HouseholdID] = [], headers: Headers = .en) -> [String] {
        let withID = residents.contains { $0.idNumber != nil }
        let shown = columns.filter { $0.key != "household" && ($0.key != "id_number" || withID) }
        var lines = [shown.map { headers == .zh ? $0.chinese : $0.key }.joined(separator: ",")]
        for id in vacant {
            lines.append([id.building, id.unit, id.room].map(CSV.field).joined(separator: ",")
                + String(repeating: ",", count: shown.count - 3))
        }
        for r in residents {
            // Every stored id parses; an export must never trap on one that does not.
            let id = HouseholdID(r.household) ?? HouseholdID(building: r.household, unit: "", room: "")
            let sex = r.sex.map { headers == .zh ? ($0 == "M" ? "男" : $0 == "F" ? "女" : $0) : $0 } ?? ""
            var fields = [id.building, id.unit, id.room, r.name, r.phone ?? "", r.birthYear.map(String.init) ?? "", sex,
                          Tags.format(r.tags, due: r.due), r.note ?? ""]
            if withID { fields.append(r.idNumber ?? "") }
            lines.append(fields.map(CSV.field).joined(separator: ","))
        }
        return lines
    }

    /// ``export(_:vacant:headers:)`` as a file's text: BOM, CRLF after every line.
    static func file(_ lines: [String]) -> String {
        "\u{FEFF}" + lines.map { $0 + "\r\n" }.joined()
    }
}

/// Normalising spreadsheet cells: trimming (full-width spaces too) and NFKC for what must
/// compare as written in ASCII (ids, digits, phones): `６-１-１０１` is `6-1-101`.
enum Normal {
    static func trimmed(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// NFKC: full-width digits, letters and punctuation become ASCII.
    static func compatible(_ s: String) -> String { s.precomposedStringWithCompatibilityMapping }

    /// A building, unit or room cell: trimmed, NFKC, without the words spreadsheets add
    /// (`3号楼`, `3栋`, `2单元`, `501室` → `3`, `2`, `501`).
    static func part(_ raw: String, key: String) -> String {
        var v = trimmed(compatible(raw))
        let suffixes: [String]
        switch key {
        case "building": suffixes = ["号楼", "栋", "幢", "号"]
        case "unit": suffixes = ["单元"]
        default: suffixes = ["室", "号"]
        }
        // Until none is left (and trimmed each time): what an export writes must import the
        // same, so `3栋栋` and `3 栋` cannot lose one more piece on the next import (fuzzing finding).
        while let suffix = suffixes.first(where: { v.hasSuffix($0) && v.count > $0.count }) {
            v.removeLast(suffix.count)
            v = trimmed(v)
        }
        return v
    }
}

extension HouseholdID {
    /// A 户号 cell: `3-2-501` (full-width too), `3栋2单元501`, `3号楼2单元501室`.
    static func parse(spreadsheet raw: String) -> Result<HouseholdID, FieldError> {
        var text = Normal.trimmed(Normal.compatible(raw))
        for dash in ["‐", "‑", "‒", "–", "—", "−"] { text = text.replacingOccurrences(of: dash, with: "-") }
        let usage = "is not BUILDING-UNIT-ROOM (3-2-501 or 3栋2单元501)"
        if text.unicodeScalars.contains("-") {
            guard let id = HouseholdID(text) else { return .failure(FieldError("household '\(raw)' \(usage)")) }
            return .success(HouseholdID(building: Normal.part(id.building, key: "building"),
                                        unit: Normal.part(id.unit, key: "unit"), room: Normal.part(id.room, key: "room")))
        }
        guard let unitMark = text.range(of: "单元") else { return .failure(FieldError("household '\(raw)' \(usage)")) }
        let head = String(text[..<unitMark.lowerBound])
        let room = Normal.part(String(text[unitMark.upperBound...]), key: "room")
        guard let buildingMark = ["号楼", "栋", "幢", "楼", "号"].lazy.compactMap({ head.range(of: $0) }).first else {
            return .failure(FieldError("household '\(raw)' \(usage)"))
        }
        let building = String(head[..<buildingMark.lowerBound])
        let unit = String(head[buildingMark.upperBound...])
        for part in [building, unit, room] where HouseholdID.problem(with: part) != nil {
            return .failure(FieldError("household '\(raw)' \(usage)"))
        }
        return .success(HouseholdID(building: building, unit: unit, room: room))
    }
}
