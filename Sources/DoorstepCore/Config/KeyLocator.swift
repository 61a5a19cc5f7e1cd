/// Finds where keys and table headers are written in a TOML text, because the TOML parser
/// reports positions only for syntax errors and unknown keys must name their line.
struct KeyLocator {
    private var positions: [String: (line: Int, column: Int)] = [:]

    /// Scans `text`; keys are recorded under their full dotted path (`plugins.probe.greeting`),
    /// table headers under the table's path.
    init(text: String) {
        var table: [String] = []
        var lineNumber = 0
        // `[[hooks]]` entries are numbered from 0: `hooks.1.run` is the second entry's `run`.
        var arrayCounts: [String: Int] = [:]
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = Substring(rawLine)
            let indent = line.prefix(while: { $0 == " " || $0 == "\t" }).count
            let rest = line.dropFirst(indent)
            if rest.hasPrefix("[") {
                let isArray = rest.hasPrefix("[[")
                let inner = rest.dropFirst(isArray ? 2 : 1).prefix(while: { $0 != "]" })
                table = KeyLocator.splitDotted(inner)
                positions[table.joined(separator: "."), default: (lineNumber, indent + 1)] = (lineNumber, indent + 1)
                if isArray {
                    let name = table.joined(separator: ".")
                    table.append(String(arrayCounts[name, default: 0]))
                    arrayCounts[name, default: 0] += 1
                    positions[table.joined(separator: ".")] = (lineNumber, indent + 1)
                }
                continue
            }
            guard let first = rest.first, first != "#", let eq = KeyLocator.equalsIndex(rest) else { continue }
            let key = KeyLocator.splitDotted(rest[rest.startIndex..<eq])
            guard !key.isEmpty else { continue }
            positions[(table + key).joined(separator: ".")] = (lineNumber, indent + 1)
        }
    }

    /// The position of the key or table at `path`.
    func position(of path: [String]) -> (line: Int, column: Int)? {
        positions[path.joined(separator: ".")]
    }

    private static func equalsIndex(_ s: Substring) -> Substring.Index? {
        var quote: Character?
        for i in s.indices {
            let c = s[i]
            if let q = quote { if c == q { quote = nil }; continue }
            if c == "\"" || c == "'" { quote = c; continue }
            if c == "=" { return i }
        }
        return nil
    }

    private static func splitDotted(_ s: Substring) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for c in s {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "." {
                parts.append(current)
                current = ""
            } else if c != " " && c != "\t" {
                current.append(c)
            }
        }
        parts.append(current)
        return parts.filter { !$0.isEmpty }
    }
}
