/// Splits one request line into tag, words and heredoc marker (grammar: docs/protocol.md §2).
///
/// The lexer is pure and knows no command names; errors are `400 syntax_error` naming the
/// column (in characters, 1-based) where the problem is.
public enum Lexer {
    /// Longest accepted tag.
    public static let maxTagLength = 64
    /// Longest accepted heredoc word.
    public static let maxHeredocWordLength = 32

    /// Parses `line` (without its newline).
    ///
    /// - Returns: nil for an empty or comment line, which gets no reply.
    /// - Throws: ``ControlError`` `syntax_error` with the column of the problem.
    public static func parse(_ line: String) throws(ControlError) -> RequestLine? {
        var scanner = Scanner(bytes: Array(line.utf8))
        scanner.skipBlanks()
        if scanner.atEnd || scanner.peek == UInt8(ascii: "#") { return nil }

        var tag: String?
        if scanner.peek == UInt8(ascii: "@") {
            tag = try scanner.readTag()
            guard !scanner.atEnd, scanner.isBlank(scanner.peek) else {
                throw .syntax(scanner.atEnd ? "missing command after tag @\(tag!)"
                    : "bad character in tag at column \(scanner.column): tags use letters, digits, '-', '_', '.', ':'")
            }
            scanner.skipBlanks()
            if scanner.atEnd { throw .syntax("missing command after tag @\(tag!)") }
        }

        var words: [Argument] = []
        var lastBare: String?
        while true {
            scanner.skipBlanks()
            if scanner.atEnd { break }
            let (word, bare) = try scanner.readWord()
            words.append(word)
            lastBare = bare
        }

        var heredoc: String?
        if let bare = lastBare, bare.hasPrefix("<<"), case .positional = words.last {
            let word = bare.dropFirst(2)
            guard !word.isEmpty, word.count <= maxHeredocWordLength,
                word.utf8.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "_") })
            else {
                throw .syntax("bad heredoc marker '\(bare)': expected <<WORD with 1 to \(maxHeredocWordLength) letters, digits or '_'")
            }
            heredoc = String(word)
            words.removeLast()
        }
        guard let first = words.first else { throw .syntax("missing command") }
        if case .named(let key, _) = first {
            throw .syntax("expected a command name at the start of the line, got the argument '\(key)=…'")
        }
        return RequestLine(tag: tag, words: words, heredoc: heredoc)
    }

    /// The `WORD` of a raw line ending in ` <<WORD`, read from bytes without lexing the line,
    /// so a line that is too long or malformed still has its body skipped. The server and
    /// `doorstepctl` use it to agree on which lines are body lines.
    ///
    /// It agrees with ``parse(_:)`` on every line that parses (found by fuzzing): blanks after
    /// the marker are ignored, a tab may stand before it, and a blank escaped with `\` joins
    /// the marker to the word before it (so there is none).
    public static func heredocWord<C: BidirectionalCollection>(_ bytes: C) -> String? where C.Element == UInt8 {
        let line = bytes.reversed().drop { $0 == 0x20 || $0 == 0x09 }
        let word = line.prefix { isAlnum($0) || $0 == UInt8(ascii: "_") }
        guard !word.isEmpty, word.count <= maxHeredocWordLength else { return nil }
        var rest = line.dropFirst(word.count)
        guard rest.prefix(2).elementsEqual("<<".utf8) else { return nil }
        rest = rest.dropFirst(2)
        guard let blank = rest.first, blank == 0x20 || blank == 0x09 else { return nil }
        // An odd run of backslashes before the blank escapes it.
        let backslashes = rest.dropFirst().prefix { $0 == UInt8(ascii: "\\") }.count
        guard backslashes % 2 == 0 else { return nil }
        return String(decoding: word.reversed(), as: UTF8.self)
    }

    /// ASCII letter or digit.
    public static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// May start an argument key.
    public static func isKeyStart(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_") }

    /// May continue an argument key.
    public static func isKeyByte(_ b: UInt8) -> Bool {
        isKeyStart(b) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }
}

/// Byte cursor over a line; the grammar's special characters are all ASCII, so values are
/// copied as byte runs and stay valid UTF-8.
private struct Scanner {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8 { bytes[index] }

    /// 1-based column in characters (UTF-8 continuation bytes do not count).
    var column: Int { column(at: index) }

    func column(at offset: Int) -> Int {
        var col = 1
        for b in bytes[..<min(offset, bytes.count)] where b & 0xC0 != 0x80 { col += 1 }
        return col
    }

    func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    mutating func skipBlanks() {
        while !atEnd, isBlank(peek) { index += 1 }
    }

    mutating func readTag() throws(ControlError) -> String {
        index += 1  // "@"
        let start = index
        while !atEnd, Lexer.isAlnum(peek) || peek == UInt8(ascii: "-") || peek == UInt8(ascii: "_")
            || peek == UInt8(ascii: ".") || peek == UInt8(ascii: ":")
        {
            index += 1
        }
        if index == start { throw .syntax("empty tag at column \(column(at: start - 1)): write @TAG before the command") }
        if index - start > Lexer.maxTagLength {
            throw .syntax("tag longer than \(Lexer.maxTagLength) characters at column \(column(at: start - 1))")
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Reads one word; returns it and, when it was written entirely bare, its raw text.
    mutating func readWord() throws(ControlError) -> (Argument, String?) {
        let start = index
        var key: String?
        // A named argument needs `key=` written bare at the start of the word.
        var probe = index
        if probe < bytes.count, Lexer.isKeyStart(bytes[probe]) {
            while probe < bytes.count, Lexer.isKeyByte(bytes[probe]) { probe += 1 }
            if probe < bytes.count, bytes[probe] == UInt8(ascii: "=") {
                key = String(decoding: bytes[start..<probe], as: UTF8.self)
                index = probe + 1
            }
        }
        var value: [UInt8] = []
        var bare = true
        while !atEnd, !isBlank(peek) {
            switch peek {
            case UInt8(ascii: "\""):
                bare = false
                try readDoubleQuoted(into: &value)
            case UInt8(ascii: "'"):
                bare = false
                let open = index
                index += 1
                while !atEnd, peek != UInt8(ascii: "'") { value.append(peek); index += 1 }
                if atEnd { throw .syntax("unterminated single quote opened at column \(column(at: open))") }
                index += 1
            case UInt8(ascii: "\\"):
                bare = false
                let at = index
                index += 1
                if atEnd { throw .syntax("backslash at end of line (column \(column(at: at))) escapes nothing") }
                value.append(peek)
                index += 1
                while !atEnd, peek & 0xC0 == 0x80 { value.append(peek); index += 1 }
            default:
                value.append(peek)
                index += 1
            }
        }
        let text = String(decoding: value, as: UTF8.self)
        if let key { return (.named(key: key, value: text), nil) }
        return (.positional(text), bare ? text : nil)
    }

    mutating func readDoubleQuoted(into value: inout [UInt8]) throws(ControlError) {
        let open = index
        index += 1
        while true {
            if atEnd { throw .syntax("unterminated double quote opened at column \(column(at: open))") }
            let b = peek
            if b == UInt8(ascii: "\"") { index += 1; return }
            if b != UInt8(ascii: "\\") { value.append(b); index += 1; continue }
            let at = index
            index += 1
            if atEnd { throw .syntax("unterminated double quote opened at column \(column(at: open))") }
            switch peek {
            case UInt8(ascii: "\\"): value.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\""): value.append(UInt8(ascii: "\""))
            case UInt8(ascii: "'"): value.append(UInt8(ascii: "'"))
            case UInt8(ascii: "n"): value.append(0x0A)
            case UInt8(ascii: "t"): value.append(0x09)
            case UInt8(ascii: "r"): value.append(0x0D)
            case UInt8(ascii: "0"): value.append(0x00)
            case UInt8(ascii: "u"):
                try readUnicodeEscape(at: at, into: &value)
                continue
            default:
                let shown = String(decoding: [peek], as: UTF8.self)
                throw .syntax("unknown escape '\\\(shown)' at column \(column(at: at)): use \\\\ \\\" \\' \\n \\t \\r \\0 or \\u{HEX}")
            }
            index += 1
        }
    }

    mutating func readUnicodeEscape(at: Int, into value: inout [UInt8]) throws(ControlError) {
        index += 1  // "u"
        let bad = ControlError.syntax("bad unicode escape at column \(column(at: at)): expected \\u{1 to 6 hex digits}")
        guard !atEnd, peek == UInt8(ascii: "{") else { throw bad }
        index += 1
        var scalarValue: UInt32 = 0
        var digits = 0
        while !atEnd, peek != UInt8(ascii: "}") {
            guard digits < 6, let d = hexValue(peek) else { throw bad }
            scalarValue = scalarValue * 16 + d
            digits += 1
            index += 1
        }
        guard !atEnd, digits > 0, let scalar = Unicode.Scalar(scalarValue) else {
            throw .syntax("bad unicode escape at column \(column(at: at)): not a Unicode scalar value")
        }
        index += 1  // "}"
        value.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: return UInt32(b - 0x30)
        case 0x41...0x46: return UInt32(b - 0x41 + 10)
        case 0x61...0x66: return UInt32(b - 0x61 + 10)
        default: return nil
        }
    }
}
