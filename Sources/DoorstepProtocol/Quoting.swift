/// Turns command-line words into request-line words that the ``Lexer`` reads back unchanged.
public enum Quoting {
    /// Quotes one shell argument for a request line: `key=value` keeps its key bare so it stays a
    /// named argument; anything that would not survive as a bare word is double-quoted.
    public static func requestWord(_ argument: String) -> String {
        let bytes = Array(argument.utf8)
        if let eq = bytes.firstIndex(of: UInt8(ascii: "=")), eq > 0, Lexer.isKeyStart(bytes[0]),
            bytes[..<eq].allSatisfy(Lexer.isKeyByte)
        {
            let key = String(decoding: bytes[..<eq], as: UTF8.self)
            let value = String(decoding: bytes[(eq + 1)...], as: UTF8.self)
            return key + "=" + quote(value)
        }
        return quote(argument)
    }

    /// The value bare when it is safe, else in double quotes with escapes.
    public static func quote(_ value: String) -> String {
        // By bytes, as the lexer reads: "@" followed by a combining mark is one Character,
        // and `hasPrefix("@")` did not see the "@" that makes the word a tag (fuzzing finding).
        let utf8 = value.utf8
        let safe =
            !value.isEmpty && !utf8.starts(with: "<<".utf8) && utf8.first != UInt8(ascii: "#") && utf8.first != UInt8(ascii: "@")
            && value.unicodeScalars.allSatisfy { s in
                s.value > 0x20 && s.value != 0x7F && s != "\"" && s != "'" && s != "\\" && s != "=" && s != "\u{2028}"
                    && s != "\u{2029}"
            }
        if safe { return value }
        var out = "\""
        for s in value.unicodeScalars {
            switch s {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default:
                if s.value < 0x20 || s.value == 0x7F {
                    out += "\\u{" + String(s.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(s)
                }
            }
        }
        return out + "\""
    }
}
