/// Renders reply data as human text: `key: value` lines and CJK-aligned tables.
///
/// Everything is written straight into one string through a ``TextLines`` sink (no array of
/// lines, no padded copies): `roster.household` is rendered on an event loop for every read.
public enum TextRenderer {
    /// Lines for `data` in the text format, as a reply shows them: each kept on one line
    /// (newlines shown as `\n`, other control characters but tab as `\u{HEX}`).
    /// With a ``Glossary`` (a `lang=zh-CN` connection), keys and table headers are its labels.
    public static func lines(for data: JSON, glossary: Glossary? = nil) -> [String] {
        var sink = TextLines(lead: "")
        render(data, into: &sink, glossary: glossary)
        return sink.out.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Appends the lines for `data` to `sink`.
    package static func render(_ data: JSON, into sink: inout TextLines, glossary: Glossary? = nil) {
        switch data {
        case .null: return
        case .object(let fields): objectLines(fields, indent: 0, into: &sink, glossary: glossary)
        case .array(let items): arrayLines(items, indent: 0, into: &sink, glossary: glossary)
        default:
            sink.start(indent: 0)
            sink.text(data.plainText)
            sink.end()
        }
    }

    static func objectLines(_ fields: [(String, JSON)], indent: Int, into sink: inout TextLines, glossary: Glossary?) {
        var keyWidth = 0
        for (key, value) in fields where value.isScalar || isScalarList(value) {
            keyWidth = max(keyWidth, TextLines.width(glossary?.label(key) ?? key))
        }
        for (field, value) in fields {
            let key = glossary?.label(field) ?? field
            if value.isScalar || isScalarList(value) {
                sink.start(indent: indent)
                sink.text(key)
                sink.text(":")
                sink.spaces(keyWidth - TextLines.width(key) + 1)
                sink.text(value.plainText)
                sink.end()
            } else if case .object(let inner) = value {
                sink.start(indent: indent)
                sink.text(key)
                sink.text(":")
                sink.end()
                objectLines(inner, indent: indent + 2, into: &sink, glossary: glossary)
            } else if case .array(let items) = value {
                sink.start(indent: indent)
                sink.text(key)
                sink.text(":")
                sink.end()
                arrayLines(items, indent: indent + 2, into: &sink, glossary: glossary)
            }
        }
    }

    static func isScalarList(_ value: JSON) -> Bool {
        if case .array(let items) = value { return items.allSatisfy(\.isScalar) }
        return false
    }

    static func arrayLines(_ items: [JSON], indent: Int, into sink: inout TextLines, glossary: Glossary?) {
        var rows: [[(String, JSON)]] = []
        rows.reserveCapacity(items.count)
        for item in items {
            guard case .object(let fields) = item else { break }
            rows.append(fields)
        }
        guard rows.count == items.count, !rows.isEmpty else {
            for item in items {
                sink.start(indent: indent)
                sink.text(item.plainText)
                sink.end()
            }
            return
        }
        var columns: [String] = []
        for row in rows { for (k, _) in row where !columns.contains(k) { columns.append(k) } }
        let cells = rows.map { row in
            // Rows usually have exactly the columns, in order (then each name is there once).
            if row.count == columns.count, zip(row, columns).allSatisfy({ $0.0 == $1 }) { return row.map(\.1.plainText) }
            return columns.map { col in row.first(where: { $0.0 == col })?.1.plainText ?? "-" }
        }
        table(header: glossary.map { g in columns.map(g.label) } ?? columns, rows: cells, indent: indent, into: &sink)
    }

    /// A table with a header row, columns separated by two spaces and padded by display width;
    /// cells are kept on one line as in ``lines(for:)``.
    public static func table(header: [String], rows: [[String]]) -> [String] {
        var sink = TextLines(lead: "")
        table(header: header, rows: rows, indent: 0, into: &sink)
        return sink.out.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    static func table(header: [String], rows: [[String]], indent: Int, into sink: inout TextLines) {
        var widths = header.map(TextLines.width)
        var cellWidths: [[Int]] = []
        cellWidths.reserveCapacity(rows.count)
        for row in rows {
            let w = row.map(TextLines.width)
            for (i, cw) in w.enumerated() where i < widths.count { widths[i] = max(widths[i], cw) }
            cellWidths.append(w)
        }
        func format(_ row: [String], _ rowWidths: [Int]) {
            sink.start(indent: indent)
            for (i, cell) in row.enumerated() {
                sink.text(cell)
                if i < row.count - 1 { sink.spaces(max(0, widths[i] - rowWidths[i]) + 2) }
            }
            sink.end()
        }
        format(header, header.map(TextLines.width))
        for (row, w) in zip(rows, cellWidths) { format(row, w) }
    }
}

/// Where text lines are written: one string, each line started with a lead (`@tag 200-`),
/// its pieces kept on one line (newlines shown as `\n`, other control characters but tab as
/// `\u{HEX}`), and ended with a newline.
package struct TextLines {
    package var out = ""
    package let lead: String

    package init(lead: String) {
        self.lead = lead
        out.reserveCapacity(512)
    }

    package mutating func start(indent: Int) {
        out += lead
        spaces(indent)
    }

    package mutating func end() { out += "\n" }

    package mutating func spaces(_ n: Int) {
        if n > 0 { out += n < Self.pads.count ? Self.pads[n] : String(repeating: " ", count: n) }
    }

    /// Runs of spaces by length, so padding costs one append.
    private static let pads: [String] = (0...64).map { String(repeating: " ", count: $0) }

    /// Whether `s` has characters ``text(_:)`` shows escaped.
    package static func needsEscaping(_ s: String) -> Bool { s.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) }

    /// The columns `s` takes once written by ``text(_:)`` (escapes included), for alignment.
    package static func width(_ s: String) -> Int {
        guard needsEscaping(s) else { return DisplayWidth.of(s) }
        var shown = TextLines(lead: "")
        shown.text(s)
        return DisplayWidth.of(shown.out)
    }

    /// Appends `s`, escaping what would break the line or the terminal.
    package mutating func text(_ s: String) {
        guard Self.needsEscaping(s) else {
            out += s
            return
        }
        for c in s.unicodeScalars {
            switch c {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\t"
            default:
                if c.value < 0x20 || c.value == 0x7F {
                    out += "\\u{" + String(c.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
    }
}
