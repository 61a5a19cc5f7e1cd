/// Table headers TOMLKit's C++ core cannot be given: one whose name starts with a character
/// that is neither a bare-key character nor a quote (`[降压药]`, `[[\u{1}x]]`) trips an
/// assertion inside toml++ (`parser::parse_key`) and aborts the process, so a typo in the file
/// would kill the daemon on start-up or reload instead of failing with its line (fuzzing
/// finding, config target). Checked before the text reaches the parser.
enum TableHeaderCheck {
    /// The first such header, as an error at its line and column, or nil.
    static func problem(in text: String, file: String) -> ConfigFileError? {
        // The quote of a multi-line string (three of them) still open: its lines are text.
        var openString: UInt8?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let utf8 = Array(line.utf8)
            if let q = openString {
                if triples(of: q, in: utf8) % 2 == 1 { openString = nil }
                continue
            }
            for q: UInt8 in [0x22, 0x27] where triples(of: q, in: utf8) % 2 == 1 { openString = q }
            let scalars = Array(line.unicodeScalars)
            var i = 0
            // The parser skips a byte-order mark at the start of the file (second finding).
            if index == 0, scalars.first == "\u{FEFF}" { i = 1 }
            while i < scalars.count, scalars[i] == " " || scalars[i] == "\t" { i += 1 }
            guard i < scalars.count, scalars[i] == "[" else { continue }
            i += 1
            if i < scalars.count, scalars[i] == "[" { i += 1 }
            while i < scalars.count, scalars[i] == " " || scalars[i] == "\t" { i += 1 }
            // A header with no name before the line ends (`[`) reaches the same assertion (fifth finding).
            guard i < scalars.count else {
                return ConfigFileError(SourceLocation(file: file, line: index + 1, column: i + 1), file: file,
                                       "a table header without a name: write it on one line, letters, digits, '_' and '-' "
                                       + "(like [plugins.supplies]), or quoted (like [\"降压药\"])")
            }
            let c = scalars[i]
            // A bare-key character or a quote, nothing else: `[[[x]]` and `[#` trip the same
            // assertion (third finding). Lines of a multi-line array value that start with `[`
            // are judged the same way; `[1, 2]`, `["a"]` and `[true]` pass, `[{…}]` and `[]`
            // at the start of such a line are refused (write them on the key's line).
            let allowed = ("0"..."9").contains(c) || ("A"..."Z").contains(c) || ("a"..."z").contains(c)
                || "_-\"'".unicodeScalars.contains(c)
            guard !allowed else { continue }
            let shown = c.value < 0x20 || c.value == 0x7F ? "U+" + String(c.value, radix: 16, uppercase: true) : String(c)
            return ConfigFileError(SourceLocation(file: file, line: index + 1, column: i + 1), file: file,
                                   "table name starting with '\(shown)': a table name is letters, digits, '_' and '-' "
                                   + "(like [plugins.supplies]), or quoted (like [\"降压药\"])")
        }
        return nil
    }

    /// A date followed by `T` and no time (`2026-01-10T`, `2026-01-10Tx`): toml++ then calls
    /// its time parser on a character that is no digit, another assertion that aborts the
    /// process (fuzzing finding, config target, fourth). Outside quoted strings.
    static func dateTimeProblem(in text: String, file: String) -> ConfigFileError? {
        func digit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let b = Array(line.utf8)
            var quote: UInt8?
            var i = 0
            while i < b.count {
                let c = b[i]
                if let q = quote {
                    if c == 0x5C, q == 0x22 { i += 2; continue }  // an escape inside "…"
                    if c == q { quote = nil }
                } else if c == 0x22 || c == 0x27 {
                    quote = c
                } else if c == 0x23 {
                    break  // a comment
                } else if i + 10 <= b.count, digit(c), (i == 0 || !digit(b[i - 1])),
                    digit(b[i + 1]), digit(b[i + 2]), digit(b[i + 3]), b[i + 4] == 0x2D, digit(b[i + 5]), digit(b[i + 6]),
                    b[i + 7] == 0x2D, digit(b[i + 8]), digit(b[i + 9]), i + 10 < b.count, b[i + 10] == 0x54 || b[i + 10] == 0x74,
                    i + 11 >= b.count || !digit(b[i + 11])
                {
                    let column = String(decoding: b[..<(i + 11)], as: UTF8.self).unicodeScalars.count + 1
                    return ConfigFileError(SourceLocation(file: file, line: index + 1, column: column), file: file,
                                           "a date followed by 'T' needs a time: write 2026-01-10T19:00, 2026-01-10T19:00+08:00, "
                                           + "or the date alone")
                }
                i += 1
            }
        }
        return nil
    }

    /// How many times the quote `q` appears three in a row in `line` (`"""` or `'''`).
    private static func triples(of q: UInt8, in line: [UInt8]) -> Int {
        var count = 0, i = 0
        while i + 2 < line.count {
            if line[i] == q, line[i + 1] == q, line[i + 2] == q {
                count += 1
                i += 3
            } else {
                i += 1
            }
        }
        return count
    }
}
