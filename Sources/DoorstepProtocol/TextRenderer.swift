/// Renders reply data as human text: `key: value` lines and CJK-aligned tables.
public enum TextRenderer {
    /// Lines for `data` in the text format.
    public static func lines(for data: JSON) -> [String] {
        switch data {
        case .null: return []
        case .object(let fields): return objectLines(fields, indent: "")
        case .array(let items): return arrayLines(items, indent: "")
        default: return [data.plainText]
        }
    }

    static func objectLines(_ fields: [(String, JSON)], indent: String) -> [String] {
        let keyWidth = fields.filter { $0.1.isScalar || isScalarList($0.1) }.map { DisplayWidth.of($0.0) }.max() ?? 0
        var out: [String] = []
        for (key, value) in fields {
            if value.isScalar || isScalarList(value) {
                out.append(indent + DisplayWidth.pad(key + ":", to: keyWidth + 1) + " " + value.plainText)
            } else if case .object(let inner) = value {
                out.append(indent + key + ":")
                out += objectLines(inner, indent: indent + "  ")
            } else if case .array(let items) = value {
                out.append(indent + key + ":")
                out += arrayLines(items, indent: indent + "  ")
            }
        }
        return out
    }

    static func isScalarList(_ value: JSON) -> Bool {
        if case .array(let items) = value { return items.allSatisfy(\.isScalar) }
        return false
    }

    static func arrayLines(_ items: [JSON], indent: String) -> [String] {
        let rows: [[(String, JSON)]] = items.compactMap { if case .object(let f) = $0 { return f } else { return nil } }
        if rows.count == items.count, !rows.isEmpty {
            var columns: [String] = []
            for row in rows { for (k, _) in row where !columns.contains(k) { columns.append(k) } }
            let cells = rows.map { row in columns.map { col in row.first(where: { $0.0 == col })?.1.plainText ?? "-" } }
            return table(header: columns, rows: cells).map { indent + $0 }
        }
        return items.map { indent + $0.plainText }
    }

    /// A table with a header row, columns separated by two spaces and padded by display width.
    public static func table(header: [String], rows: [[String]]) -> [String] {
        var widths = header.map(DisplayWidth.of)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], DisplayWidth.of(cell)) }
        }
        func format(_ row: [String]) -> String {
            var line = ""
            for (i, cell) in row.enumerated() {
                if i == row.count - 1 { line += cell } else { line += DisplayWidth.pad(cell, to: widths[i]) + "  " }
            }
            return line
        }
        return [format(header)] + rows.map(format)
    }
}
