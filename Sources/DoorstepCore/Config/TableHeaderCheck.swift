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
            guard i < scalars.count else { continue }
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
