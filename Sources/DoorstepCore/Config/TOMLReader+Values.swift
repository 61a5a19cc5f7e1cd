import PluginAPI

/// Values: strings (four forms), numbers, booleans, arrays and inline tables.
extension TOMLReader {
    /// A value, at the current position; `path` is its key's, for the positions of the keys
    /// of an inline table.
    mutating func value(path: [String]) throws(TOMLSyntaxError) -> ConfigValue {
        guard let b = peek else { throw fail("expected a value, found the end of the file") }
        switch b {
        case 0x22:
            if peek(1) == 0x22, peek(2) == 0x22 { return .string(try multilineString(quote: 0x22)) }
            return .string(try basicString())
        case 0x27:
            if peek(1) == 0x27, peek(2) == 0x27 { return .string(try multilineString(quote: 0x27)) }
            return .string(try literalString())
        case 0x5B:
            return try array(path: path)
        case 0x7B:
            return try inlineTable(path: path)
        case 0x0A, 0x0D, 0x23:
            throw fail("expected a value, found \(b == 0x23 ? "a comment" : "the end of the line") (an empty value is written \"\")")
        default:
            return try scalar()
        }
    }

    /// The run of characters that may make up a number, boolean or date.
    var token: ArraySlice<UInt8> {
        var end = index
        while end < bytes.count, TOMLReader.isBareKeyByte(bytes[end]) || [0x2B, 0x2E, 0x3A].contains(bytes[end]) { end += 1 }
        return bytes[index..<end]
    }

    /// `true`, `false`, a number, or a refused date or time.
    mutating func scalar() throws(TOMLSyntaxError) -> ConfigValue {
        let token = self.token
        let text = String(decoding: token, as: UTF8.self)
        if token.isEmpty {
            throw fail("expected a value (a \"string\", a number, true or false, [an array] or {a table}), found \(shownHere)")
        }
        if text == "true" || text == "false" {
            index += token.count
            return .bool(text == "true")
        }
        if TOMLReader.looksLikeDateOrTime(token) {
            throw fail("dates and times are not used here: write them as strings, such as \"\(text)\"")
        }
        let at = here
        if let number = try TOMLReader.number(token, fail: { TOMLSyntaxError(line: at.line, column: at.column, message: $0) }) {
            index += token.count
            return number
        }
        let first = token.first!
        if (first >= 0x30 && first <= 0x39) || first == 0x2B || first == 0x2D || first == 0x2E {
            throw fail("'\(text)' is not a number: write digits with '_' only between them, no leading zeros, "
                + "an optional fraction and exponent (3, -1_000, 0.5, 1e6, 0x1F)")
        }
        throw fail("'\(text)' is not a value: strings are quoted (\"\(text)\"); booleans are true and false")
    }

    static func looksLikeDateOrTime(_ t: ArraySlice<UInt8>) -> Bool {
        let a = Array(t)
        func digits(_ range: Range<Int>) -> Bool {
            range.upperBound <= a.count && range.allSatisfy { a[$0] >= 0x30 && a[$0] <= 0x39 }
        }
        return (digits(0..<4) && a.count > 4 && a[4] == 0x2D) || (digits(0..<2) && a.count > 2 && a[2] == 0x3A)
    }

    /// A TOML integer or float, or nil when `t` is not one; throws for an integer out of range.
    static func number(_ t: ArraySlice<UInt8>, fail: (String) -> TOMLSyntaxError) throws(TOMLSyntaxError) -> ConfigValue? {
        var body = t
        let sign = body.first == 0x2B || body.first == 0x2D ? body.removeFirst() : nil
        let word = String(decoding: body, as: UTF8.self)
        if word == "inf" { return .double(sign == 0x2D ? -.infinity : .infinity) }
        if word == "nan" { return .double(.nan) }
        let text = String(decoding: t, as: UTF8.self)
        if body.count > 2, body.first == 0x30, let radix = [0x78: 16, 0x6F: 8, 0x62: 2][body[body.startIndex + 1]] {
            guard sign == nil else { return nil }
            let digits = body.dropFirst(2)
            guard groupedDigits(digits, radix: radix) else { return nil }
            let clean = String(decoding: digits.filter { $0 != 0x5F }, as: UTF8.self)
            guard let n = Int(clean, radix: radix) else {
                throw fail("the integer \(text) is out of range (at most 0x7FFFFFFFFFFFFFFF)")
            }
            return .int(n)
        }
        // Decimal: integer part, then an optional fraction and exponent.
        let intEnd = body.firstIndex(where: { $0 == 0x2E || $0 == 0x65 || $0 == 0x45 }) ?? body.endIndex
        let intPart = body[body.startIndex..<intEnd]
        guard groupedDigits(intPart, radix: 10), intPart.count == 1 || intPart.first != 0x30 else { return nil }
        var rest = body[intEnd...]
        var isFloat = false
        if rest.first == 0x2E {
            rest.removeFirst()
            let fracEnd = rest.firstIndex(where: { $0 == 0x65 || $0 == 0x45 }) ?? rest.endIndex
            guard groupedDigits(rest[rest.startIndex..<fracEnd], radix: 10) else { return nil }
            rest = rest[fracEnd...]
            isFloat = true
        }
        if let e = rest.first, e == 0x65 || e == 0x45 {
            rest.removeFirst()
            if rest.first == 0x2B || rest.first == 0x2D { rest.removeFirst() }
            guard groupedDigits(rest, radix: 10) else { return nil }
            isFloat = true
        } else if !rest.isEmpty {
            return nil
        }
        let clean = String(decoding: t.filter { $0 != 0x5F }, as: UTF8.self)
        if isFloat {
            guard let d = Double(clean) else { return nil }
            return .double(d)
        }
        guard let n = Int(clean) else {
            throw fail("the integer \(text) is out of range (-9223372036854775808 to 9223372036854775807)")
        }
        return .int(n)
    }

    /// Digits of `radix`, at least one, with single `_` only between two digits.
    static func groupedDigits(_ s: ArraySlice<UInt8>, radix: Int) -> Bool {
        guard let first = s.first, let last = s.last, first != 0x5F, last != 0x5F else { return false }
        var previous: UInt8 = 0
        for b in s {
            if b == 0x5F {
                if previous == 0x5F { return false }
            } else {
                let value: Int
                switch b {
                case 0x30...0x39: value = Int(b - 0x30)
                case 0x61...0x66: value = Int(b - 0x61 + 10)
                case 0x41...0x46: value = Int(b - 0x41 + 10)
                default: return false
                }
                if value >= radix { return false }
            }
            previous = b
        }
        return true
    }

    // MARK: Strings

    /// Fails on a control character other than tab inside a string or comment.
    func checkNotControl(_ b: UInt8) throws(TOMLSyntaxError) {
        if (b < 0x20 && b != 0x09) || b == 0x7F {
            throw fail("control character \(TOMLReader.shown(Unicode.Scalar(b))) in a string; write it as an escape such as \\u0001")
        }
    }

    /// `"…"` with escapes, on one line.
    mutating func basicString() throws(TOMLSyntaxError) -> String {
        let open = here
        index += 1
        var out: [UInt8] = []
        while true {
            guard let b = peek, b != 0x0A, b != 0x0D else {
                throw fail(at: open, "unterminated string: the \" opened here is not closed on its line "
                    + "(a string of several lines is written between \"\"\" and \"\"\")")
            }
            if b == 0x22 {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == 0x5C {
                try escape(into: &out)
                continue
            }
            try checkNotControl(b)
            out.append(b)
            index += 1
        }
    }

    /// `'…'`, taken as written, on one line.
    mutating func literalString() throws(TOMLSyntaxError) -> String {
        let open = here
        index += 1
        let start = index
        while true {
            guard let b = peek, b != 0x0A, b != 0x0D else {
                throw fail(at: open, "unterminated string: the ' opened here is not closed on its line")
            }
            if b == 0x27 {
                index += 1
                return String(decoding: bytes[start..<index - 1], as: UTF8.self)
            }
            try checkNotControl(b)
            index += 1
        }
    }

    /// One escape sequence after a backslash, appended as UTF-8.
    mutating func escape(into out: inout [UInt8]) throws(TOMLSyntaxError) {
        let simple: [UInt8: UInt8] = [0x62: 0x08, 0x74: 0x09, 0x6E: 0x0A, 0x66: 0x0C, 0x72: 0x0D, 0x22: 0x22, 0x5C: 0x5C]
        guard let letter = peek(1) else { throw fail("a backslash at the end of the file") }
        if let b = simple[letter] {
            out.append(b)
            index += 2
            return
        }
        let width = letter == 0x75 ? 4 : letter == 0x55 ? 8 : 0
        guard width > 0 else {
            throw fail("unknown escape '\\\(String(decoding: bytes[(index + 1)...].prefix(1), as: UTF8.self))': "
                + "\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX and \\UXXXXXXXX are known; write a backslash as \\\\ "
                + "or use a 'literal string' (for a path such as 'C:\\data')")
        }
        let hex = bytes[(index + 2)...].prefix(width)
        guard hex.count == width, TOMLReader.groupedDigits(hex, radix: 16), !hex.contains(0x5F),
              let code = UInt32(String(decoding: hex, as: UTF8.self), radix: 16), let scalar = Unicode.Scalar(code) else {
            throw fail("escape \\\(letter == 0x75 ? "u" : "U") needs \(width) hex digits of a Unicode scalar value (not a surrogate, at most 10FFFF)")
        }
        out.append(contentsOf: String(Character(scalar)).utf8)
        index += 2 + width
    }

    /// `"""…"""` (with escapes) or `'''…'''` (as written), over several lines; a line end right
    /// after the opening quotes is not part of the text.
    mutating func multilineString(quote: UInt8) throws(TOMLSyntaxError) -> String {
        let open = here
        index += 3
        _ = try newline()
        var out: [UInt8] = []
        while true {
            guard let b = peek else {
                let q = String(decoding: [quote, quote, quote], as: UTF8.self)
                throw fail(at: open, "unterminated string: the \(q) opened here is never closed")
            }
            if b == quote {
                let runStart = here
                var run = 0
                while peek == quote { run += 1; index += 1 }
                if run < 3 {
                    out.append(contentsOf: repeatElement(quote, count: run))
                    continue
                }
                guard run <= 5 else { throw fail(at: runStart, "\(run) quotes in a row: at most two may come before the closing three") }
                out.append(contentsOf: repeatElement(quote, count: run - 3))
                return String(decoding: out, as: UTF8.self)
            }
            if b == 0x0A || b == 0x0D {
                _ = try newline()
                out.append(0x0A)
                continue
            }
            if b == 0x5C, quote == 0x22 {
                // A backslash at the end of a line joins the next non-blank text to this line.
                var j = index + 1
                while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
                if j < bytes.count, bytes[j] == 0x0A || bytes[j] == 0x0D {
                    index = j
                    while true {
                        skipSpaces()
                        if try !newline() { break }
                    }
                    continue
                }
                try escape(into: &out)
                continue
            }
            try checkNotControl(b)
            out.append(b)
            index += 1
        }
    }

    // MARK: Arrays and inline tables

    mutating func enter(_ what: String) throws(TOMLSyntaxError) {
        depth += 1
        if depth > TOMLReader.maxDepth {
            throw fail("\(what) nested more than \(TOMLReader.maxDepth) deep")
        }
    }

    /// `[a, b, …]`, over several lines if need be, with comments and a trailing comma allowed.
    mutating func array(path: [String]) throws(TOMLSyntaxError) -> ConfigValue {
        let open = here
        try enter("arrays and inline tables")
        defer { depth -= 1 }
        index += 1
        var items: [ConfigValue] = []
        try skipBlank()
        while true {
            if peek == 0x5D {
                index += 1
                return .array(items)
            }
            if atEnd { throw fail(at: open, "unterminated array: the '[' opened here is never closed with ']'") }
            items.append(try value(path: path + [String(items.count)]))
            try skipBlank()
            if peek == 0x2C {
                index += 1
                try skipBlank()
            } else if peek != 0x5D {
                if atEnd { throw fail(at: open, "unterminated array: the '[' opened here is never closed with ']'") }
                throw fail("expected ',' or ']' in the array opened at line \(open.line), found \(shownHere)")
            }
        }
    }

    /// `{ a = 1, b.c = "x" }`, on one line, no trailing comma (TOML 1.0).
    mutating func inlineTable(path: [String]) throws(TOMLSyntaxError) -> ConfigValue {
        try enter("arrays and inline tables")
        defer { depth -= 1 }
        index += 1
        let table = TOMLTable(origin: .dotted)
        skipSpaces()
        if peek == 0x7D {
            index += 1
            return .table([:])
        }
        while true {
            guard let first = peek, TOMLReader.isBareKeyByte(first) || first == 0x22 || first == 0x27 else {
                throw fail(atEnd || peek == 0x0A || peek == 0x0D || peek == 0x23
                    ? "an inline table { … } must be closed on the line it opens (TOML 1.0); use a [table] section for more keys"
                    : "expected a key in the inline table, found \(shownHere)")
            }
            let keys = try dottedKey()
            skipSpaces()
            guard peek == 0x3D else { throw fail("expected '=' after the key '\(keys.map(\.name).joined(separator: "."))', found \(shownHere)") }
            index += 1
            skipSpaces()
            let v = try value(path: path + keys.map(\.name))
            try assign(v, keys: keys, into: table, path: path)
            skipSpaces()
            if peek == 0x2C {
                index += 1
                skipSpaces()
                if peek == 0x7D { throw fail("a trailing comma is not allowed in an inline table (TOML 1.0): remove it") }
            } else if peek == 0x7D {
                index += 1
                return .table(table.value)
            } else if atEnd || peek == 0x0A || peek == 0x0D || peek == 0x23 {
                throw fail("an inline table { … } must be closed on the line it opens (TOML 1.0); use a [table] section for more keys")
            } else {
                throw fail("expected ',' or '}' in the inline table, found \(shownHere)")
            }
        }
    }
}
