import PluginAPI

/// A TOML 1.0 parser written for the config file, in place of TOMLKit.
///
/// Why not TOMLKit: its C++ core (toml++) checks its own state with assertions, and some typos
/// in a config file reach them (`[降压药]`, `[[[x]]`, a date followed by `T` and no time, found
/// by fuzzing): the daemon aborted on start-up or reload instead of naming the line, and with
/// assertions compiled out the same inputs are undefined behaviour. This reader is plain Swift
/// over the file's bytes, so the worst a bad file can do is throw ``TOMLSyntaxError``; nesting
/// is bounded so no input can exhaust the stack. It also records where every key and table
/// header is written, which the section checks use to name the line of a bad value.
///
/// TOML dates and times are refused (nothing in the config uses them; times are strings such
/// as `"22:00"`, read in the community's time zone).
struct TOMLReader {
    /// The tables and values, and where each key or table is written (dotted path, with array
    /// of tables entries numbered from 0: `hooks.1.run`).
    struct Document {
        var root: [String: ConfigValue]
        var positions: [String: (line: Int, column: Int)]
    }

    /// Arrays and inline tables nested deeper than this are refused: the reader is recursive,
    /// and no config needs more than three levels.
    static let maxDepth = 32

    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lineStart = 0
    var depth = 0
    var positions: [String: (line: Int, column: Int)] = [:]

    /// Parses `text` (a whole config file).
    static func parse(_ text: String) throws(TOMLSyntaxError) -> Document {
        var reader = TOMLReader(bytes: Array(text.utf8))
        let root = try reader.document()
        return Document(root: root.value, positions: reader.positions)
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    // MARK: Position and errors

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    /// The column of `at` (a byte index on the current line), counted in characters from 1.
    func column(_ at: Int) -> Int {
        var n = 1
        var i = lineStart
        while i < at && i < bytes.count {
            if bytes[i] & 0xC0 != 0x80 { n += 1 }
            i += 1
        }
        return n
    }

    var here: (line: Int, column: Int) { (line, column(index)) }

    func fail(_ message: String) -> TOMLSyntaxError {
        TOMLSyntaxError(line: line, column: column(index), message: message)
    }

    func fail(at position: (line: Int, column: Int), _ message: String) -> TOMLSyntaxError {
        TOMLSyntaxError(line: position.line, column: position.column, message: message)
    }

    /// The character at the current position, for messages (`'x'`, `U+0001`, `the end of the line`).
    var shownHere: String {
        guard let b = peek else { return "the end of the file" }
        if b == 0x0A || b == 0x0D { return "the end of the line" }
        let rest = bytes[index...].prefix(4)
        let scalar = String(decoding: rest, as: UTF8.self).unicodeScalars.first ?? "\u{FFFD}"
        return TOMLReader.shown(scalar)
    }

    static func shown(_ scalar: Unicode.Scalar) -> String {
        if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
            return "U+" + String(scalar.value, radix: 16, uppercase: true)
        }
        return "'\(scalar)'"
    }

    // MARK: Whitespace, comments, line ends

    mutating func skipSpaces() {
        while let b = peek, b == 0x20 || b == 0x09 { index += 1 }
    }

    /// Skips a comment (from `#` to the end of the line, not the line end itself).
    mutating func skipComment() throws(TOMLSyntaxError) {
        guard peek == 0x23 else { return }
        while let b = peek, b != 0x0A {
            if b == 0x0D, peek(1) == 0x0A { break }
            if b < 0x20 && b != 0x09 || b == 0x7F {
                throw fail("control character \(TOMLReader.shown(Unicode.Scalar(b))) in a comment; remove it")
            }
            index += 1
        }
    }

    /// Consumes a line end (`\n` or `\r\n`) if there is one.
    mutating func newline() throws(TOMLSyntaxError) -> Bool {
        if peek == 0x0A {
            index += 1
        } else if peek == 0x0D {
            guard peek(1) == 0x0A else { throw fail("a carriage return (U+D) not followed by a line feed") }
            index += 2
        } else {
            return false
        }
        line += 1
        lineStart = index
        return true
    }

    /// After an expression: spaces, an optional comment, then the end of the line or file.
    mutating func endOfLine(after what: String) throws(TOMLSyntaxError) {
        skipSpaces()
        try skipComment()
        if atEnd { return }
        guard try newline() else {
            throw fail("expected the end of the line after \(what), found \(shownHere) (one key = value or [table] per line; '#' starts a comment)")
        }
    }

    /// Spaces, comments and line ends, as allowed between an array's values.
    mutating func skipBlank() throws(TOMLSyntaxError) {
        while true {
            skipSpaces()
            try skipComment()
            if try !newline() { return }
        }
    }

    // MARK: The document

    mutating func document() throws(TOMLSyntaxError) -> TOMLTable {
        let root = TOMLTable(origin: .header)
        var current = root
        var currentPath: [String] = []
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            index = 3
            lineStart = 3
        }
        while !atEnd {
            skipSpaces()
            guard let b = peek else { break }
            if b == 0x23 || b == 0x0A || b == 0x0D {
                try skipComment()
                if !atEnd, try !newline() { throw fail("a carriage return (U+D) not followed by a line feed") }
                continue
            }
            if b == 0x5B {
                (current, currentPath) = try header(root: root)
                try endOfLine(after: "the table header [\(currentPath.joined(separator: "."))]")
            } else {
                let key = try keyValue(into: current, path: currentPath)
                try endOfLine(after: "the value of '\(key)'")
            }
        }
        return root
    }

    /// A `[table]` or `[[array of tables]]` header; returns the table that keys now go into.
    mutating func header(root: TOMLTable) throws(TOMLSyntaxError) -> (TOMLTable, [String]) {
        let start = here
        index += 1
        let isArray = peek == 0x5B
        if isArray { index += 1 }
        skipSpaces()
        guard let first = peek, TOMLReader.isBareKeyByte(first) || first == 0x22 || first == 0x27 else {
            let found = atEnd || peek == 0x0A || peek == 0x0D ? "a table header without a name" : "table name starting with \(shownHere)"
            throw fail("\(found): names are letters, digits, '_' and '-', or quoted (like [\"降压药\"]); headers are [name] or [[name]] on one line")
        }
        let keys = try dottedKey()
        skipSpaces()
        let close: [UInt8] = isArray ? [0x5D, 0x5D] : [0x5D]
        guard bytes[index...].starts(with: close) else {
            throw fail("expected '\(isArray ? "]]" : "]")' to close the table header, found \(shownHere)")
        }
        index += close.count
        let names = keys.map(\.name)
        var table = root
        var path: [String] = []
        for (n, name) in names.enumerated() {
            path.append(name)
            let last = n == names.count - 1
            let shownPath = path.joined(separator: ".")
            switch table.entries[name] {
            case nil:
                if last && isArray {
                    let element = TOMLTable(origin: .header)
                    table.entries[name] = .tables([element])
                    record(path, start)
                    path.append("0")
                    record(path, start)
                    return (element, path)
                }
                let child = TOMLTable(origin: last ? .header : .implicit)
                table.entries[name] = .table(child)
                record(path, start)
                table = child
            case .table(let child):
                if last {
                    if isArray { throw fail(at: start, "[[\(shownPath)]]: '\(shownPath)' is already a table, not an array of tables") }
                    guard child.origin == .implicit else {
                        throw fail(at: start, "table [\(shownPath)] is defined twice\(child.origin == .dotted ? " (its keys were set with dotted keys above)" : ""); merge the two sections")
                    }
                    child.origin = .header
                    record(path, start)
                }
                table = child
            case .tables(let elements):
                if last {
                    guard isArray else {
                        throw fail(at: start, "[\(shownPath)]: '\(shownPath)' is an array of tables; write [[\(shownPath)]] to add an entry")
                    }
                    let element = TOMLTable(origin: .header)
                    table.entries[name] = .tables(elements + [element])
                    path.append(String(elements.count))
                    record(path, start)
                    return (element, path)
                }
                // A sub-table of an array of tables belongs to its last entry.
                path.append(String(elements.count - 1))
                table = elements[elements.count - 1]
            case .value(.table):
                throw fail(at: start, "'\(shownPath)' is an inline table (written with { }); put all its keys inside its braces")
            case .value(let value):
                throw fail(at: start, "'\(shownPath)' is already \(value.typeName) and cannot also be a table")
            }
        }
        return (table, path)
    }

    /// Notes where `path` is first written (a header can be repeated for arrays of tables).
    mutating func record(_ path: [String], _ position: (line: Int, column: Int)) {
        let key = path.joined(separator: ".")
        if positions[key] == nil { positions[key] = position }
    }

    /// One `key = value` line into `table`; returns the key as written, for messages.
    mutating func keyValue(into table: TOMLTable, path: [String]) throws(TOMLSyntaxError) -> String {
        guard let first = peek, TOMLReader.isBareKeyByte(first) || first == 0x22 || first == 0x27 else {
            throw fail("expected a key (letters, digits, '_' and '-', or a quoted string) or a [table] header, found \(shownHere)")
        }
        let keys = try dottedKey()
        let shownKey = keys.map(\.name).joined(separator: ".")
        skipSpaces()
        guard peek == 0x3D else {
            throw fail("expected '=' after the key '\(shownKey)', found \(shownHere)")
        }
        index += 1
        skipSpaces()
        let value = try value(path: path + keys.map(\.name))
        try assign(value, keys: keys, into: table, path: path)
        return shownKey
    }

    /// Sets `keys` (a dotted key) to `value` in `table`, creating the tables of a dotted key.
    mutating func assign(_ value: ConfigValue, keys: [TOMLKey], into table: TOMLTable, path: [String]) throws(TOMLSyntaxError) {
        var table = table
        var path = path
        for (n, key) in keys.enumerated() {
            path.append(key.name)
            let shownPath = path.joined(separator: ".")
            // Every path of a dotted key is placed where the whole key starts, as errors quote it.
            if positions[shownPath] == nil { positions[shownPath] = keys[0].position }
            if n == keys.count - 1 {
                guard table.entries[key.name] == nil else {
                    throw fail(at: key.position, "'\(shownPath)' is set twice; keep one")
                }
                table.entries[key.name] = .value(value)
                return
            }
            switch table.entries[key.name] {
            case nil:
                let child = TOMLTable(origin: .dotted)
                table.entries[key.name] = .table(child)
                table = child
            case .table(let child) where child.origin == .dotted:
                table = child
            case .table:
                throw fail(at: key.position, "'\(shownPath)' is a table defined by its own [header]; set its keys there")
            case .tables:
                throw fail(at: key.position, "'\(shownPath)' is an array of tables; dotted keys cannot add to it")
            case .value(.table):
                throw fail(at: key.position, "'\(shownPath)' is an inline table (written with { }); put all its keys inside its braces")
            case .value(let existing):
                throw fail(at: key.position, "'\(shownPath)' is already \(existing.typeName), not a table")
            }
        }
    }

    // MARK: Keys

    static func isBareKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
    }

    /// `a.b."c d"`: simple keys joined by dots, spaces allowed around the dots.
    mutating func dottedKey() throws(TOMLSyntaxError) -> [TOMLKey] {
        var keys: [TOMLKey] = []
        while true {
            skipSpaces()
            let position = here
            keys.append(TOMLKey(name: try simpleKey(), position: position))
            skipSpaces()
            guard peek == 0x2E else { return keys }
            index += 1
        }
    }

    mutating func simpleKey() throws(TOMLSyntaxError) -> String {
        switch peek {
        case 0x22?:
            if peek(1) == 0x22, peek(2) == 0x22 { throw fail("a key cannot be a multi-line string") }
            return try basicString()
        case 0x27?:
            if peek(1) == 0x27, peek(2) == 0x27 { throw fail("a key cannot be a multi-line string") }
            return try literalString()
        case let b? where TOMLReader.isBareKeyByte(b):
            let start = index
            while let c = peek, TOMLReader.isBareKeyByte(c) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        default:
            throw fail("expected a key (letters, digits, '_' and '-', or a quoted string), found \(shownHere)")
        }
    }
}

/// A key as written, with its place.
struct TOMLKey {
    var name: String
    var position: (line: Int, column: Int)
}

/// A table while the document is read: how it was made decides what may add to it later.
final class TOMLTable {
    enum Origin {
        /// Made as the parent of a header (`[a.b]` makes `a`): a later `[a]` may still define it.
        case implicit
        /// Defined by its own header: no second header, no dotted keys from elsewhere.
        case header
        /// Made by a dotted key (`a.b = 1` makes `a`): more dotted keys may add to it, no header.
        case dotted
    }

    enum Entry {
        case value(ConfigValue)
        case table(TOMLTable)
        case tables([TOMLTable])
    }

    var origin: Origin
    var entries: [String: Entry] = [:]

    init(origin: Origin) {
        self.origin = origin
    }

    /// The finished table as a config value.
    var value: [String: ConfigValue] {
        entries.mapValues { entry in
            switch entry {
            case .value(let v): return v
            case .table(let t): return .table(t.value)
            case .tables(let ts): return .array(ts.map { .table($0.value) })
            }
        }
    }
}

/// A TOML syntax error, at a line and column (from 1; columns count characters).
struct TOMLSyntaxError: Error, Equatable {
    var line: Int
    var column: Int
    var message: String
}
