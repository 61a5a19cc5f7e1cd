/// The bytes of one JSON document and the scanning primitives the payload decoder is built on.
///
/// Positions are byte offsets. Reading past the end yields 0, which JSON never allows outside a
/// string and which strings reject as a control character, so "end of input" needs no second check.
struct JSONBytes {
    let base: UnsafePointer<UInt8>?
    let count: Int

    init(_ buffer: UnsafeRawBufferPointer) {
        base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
        count = buffer.count
    }

    @inline(__always) subscript(_ i: Int) -> UInt8 { i < count ? base.unsafelyUnwrapped[i] : 0 }

    func skipSpace(_ i: Int) -> Int {
        var i = i
        while true {
            switch self[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return i
            }
        }
    }

    /// What a byte starts, for messages ("a string", "null", "the end").
    func describe(_ i: Int) -> String {
        switch self[i] {
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return "a number"
        case 0 where i >= count: return "the end of the input"
        case let b: return "the byte 0x\(String(b, radix: 16))"
        }
    }

    /// The end of the value starting at `i` (one past its last byte). Containers are matched by
    /// bracket depth; their members are checked when they are decoded.
    func skipValue(_ i: Int) throws(PayloadSyntaxError) -> Int {
        switch self[i] {
        case UInt8(ascii: "\""): return try stringEnd(i).end + 1
        case UInt8(ascii: "{"), UInt8(ascii: "["): break
        case UInt8(ascii: "t"): return try literal("true", at: i)
        case UInt8(ascii: "f"): return try literal("false", at: i)
        case UInt8(ascii: "n"): return try literal("null", at: i)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return numberEnd(i)
        default: throw PayloadSyntaxError(offset: i, "expected a value, found \(describe(i))")
        }
        var depth = 0
        var j = i
        while true {
            switch self[j] {
            case UInt8(ascii: "\""): j = try stringEnd(j).end
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return j + 1 }
            case 0 where j >= count: throw PayloadSyntaxError(offset: j, "unterminated \(describe(i)) starting at byte \(i)")
            default: break
            }
            j += 1
        }
    }

    private func literal(_ word: StaticString, at i: Int) throws(PayloadSyntaxError) -> Int {
        let n = word.utf8CodeUnitCount
        for k in 0..<n where self[i + k] != word.utf8Start[k] {
            throw PayloadSyntaxError(offset: i, "expected \(word), found \(describe(i))")
        }
        return i + n
    }

    func isNull(_ i: Int) -> Bool {
        self[i] == UInt8(ascii: "n") && self[i + 1] == UInt8(ascii: "u") && self[i + 2] == UInt8(ascii: "l")
            && self[i + 3] == UInt8(ascii: "l")
    }

    /// One past the last byte that can belong to a number starting at `i`.
    func numberEnd(_ i: Int) -> Int {
        var j = i
        while true {
            switch self[j] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                j += 1
            default: return j
            }
        }
    }

    /// The closing quote of the string whose opening quote is at `i`, and whether it has escapes.
    func stringEnd(_ i: Int) throws(PayloadSyntaxError) -> (end: Int, escaped: Bool) {
        var j = i + 1
        var escaped = false
        while true {
            let b = self[j]
            if b == UInt8(ascii: "\"") { return (j, escaped) }
            if b == UInt8(ascii: "\\") {
                escaped = true
                j += 2
                continue
            }
            if b < 0x20 {
                if j >= count { throw PayloadSyntaxError(offset: i, "unterminated string starting at byte \(i)") }
                throw PayloadSyntaxError(offset: j, "control character 0x\(String(b, radix: 16)) inside a string")
            }
            j += 1
        }
    }

    /// The string whose opening quote is at `i`, and the offset after its closing quote.
    func string(_ i: Int) throws(PayloadSyntaxError) -> (String, next: Int) {
        let (end, escaped) = try stringEnd(i)
        let raw = UnsafeBufferPointer(start: base.unsafelyUnwrapped + i + 1, count: end - i - 1)
        let text = escaped ? try unescape(raw, at: i + 1) : String(validating: raw, as: UTF8.self)
        guard let text else { throw PayloadSyntaxError(offset: i, "invalid UTF-8 in the string starting at byte \(i)") }
        return (text, end + 1)
    }

    /// Whether the raw (unescaped) bytes `start..<end` spell `name`.
    func equals(_ start: Int, _ end: Int, _ name: String) -> Bool {
        let raw = UnsafeBufferPointer(start: base.unsafelyUnwrapped + start, count: end - start)
        if let same = name.utf8.withContiguousStorageIfAvailable({ $0.elementsEqual(raw) }) { return same }
        return name.utf8.elementsEqual(raw)
    }

    private func unescape(_ raw: UnsafeBufferPointer<UInt8>, at offset: Int) throws(PayloadSyntaxError) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var k = 0
        func hex4(_ at: Int) throws(PayloadSyntaxError) -> UInt32 {
            guard at + 4 <= raw.count else { throw PayloadSyntaxError(offset: offset + at, "truncated \\u escape") }
            var v: UInt32 = 0
            for b in raw[at..<at + 4] {
                let d: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw PayloadSyntaxError(offset: offset + at, "bad hex digit in \\u escape")
                }
                v = v << 4 | d
            }
            return v
        }
        while k < raw.count {
            let b = raw[k]
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                k += 1
                continue
            }
            guard k + 1 < raw.count else { throw PayloadSyntaxError(offset: offset + k, "dangling backslash") }
            let e = raw[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(k)
                k += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    guard k + 6 <= raw.count, raw[k] == UInt8(ascii: "\\"), raw[k + 1] == UInt8(ascii: "u") else {
                        throw PayloadSyntaxError(offset: offset + k, "unpaired high surrogate in \\u escape")
                    }
                    let low = try hex4(k + 2)
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw PayloadSyntaxError(offset: offset + k, "unpaired high surrogate in \\u escape")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    k += 6
                }
                guard let s = Unicode.Scalar(scalar) else {
                    throw PayloadSyntaxError(offset: offset + k - 6, "lone surrogate in \\u escape")
                }
                out.append(contentsOf: UTF8.encode(s)!)
            default: throw PayloadSyntaxError(offset: offset + k - 2, "unknown escape \\\(Unicode.Scalar(e))")
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}

/// A syntax error at a byte offset; the decoder turns it into a `DecodingError` with the coding path.
struct PayloadSyntaxError: Error {
    let offset: Int
    let message: String
    init(offset: Int, _ message: String) {
        self.offset = offset
        self.message = message
    }
}
