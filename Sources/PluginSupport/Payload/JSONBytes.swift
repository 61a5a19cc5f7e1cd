public import DoorstepValues

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

    /// The end of the value starting at `i` (one past its last byte), checking its syntax:
    /// members a decoder skips must be valid JSON too.
    func skipValue(_ i: Int) throws(PayloadSyntaxError) -> Int {
        switch self[i] {
        case UInt8(ascii: "\""): return try stringEnd(i).end + 1
        case UInt8(ascii: "{"), UInt8(ascii: "["): return try skipContainer(i)
        case UInt8(ascii: "t"): return try literal("true", at: i)
        case UInt8(ascii: "f"): return try literal("false", at: i)
        case UInt8(ascii: "n"): return try literal("null", at: i)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try numberEnd(i)
        default: throw PayloadSyntaxError(offset: i, "expected a value, found \(describe(i))")
        }
    }

    /// Skips an object or array without recursion: the open containers are kept as a stack of
    /// bits (1: object), at most ``PayloadDecoder/maxDepth`` deep.
    private func skipContainer(_ i: Int) throws(PayloadSyntaxError) -> Int {
        let words = (PayloadDecoder.maxDepth + 63) / 64
        return try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { (objects) throws(PayloadSyntaxError) -> Int in
            objects.initialize(repeating: 0)
            return try skipContainer(i, objects)
        }
    }

    private func skipContainer(_ i: Int, _ objects: UnsafeMutableBufferPointer<UInt64>) throws(PayloadSyntaxError) -> Int {
        var depth = 0
        var j = i
        func isObject(_ d: Int) -> Bool { objects[d >> 6] & (1 << UInt64(d & 63)) != 0 }
        while true {
            // At the start of a value (or of a container's first member).
            switch self[j] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < PayloadDecoder.maxDepth else {
                    throw PayloadSyntaxError(offset: j, "nested deeper than \(PayloadDecoder.maxDepth) levels")
                }
                let object = self[j] == UInt8(ascii: "{")
                if object { objects[depth >> 6] |= 1 << UInt64(depth & 63) } else { objects[depth >> 6] &= ~(1 << UInt64(depth & 63)) }
                depth += 1
                j = skipSpace(j + 1)
                if self[j] == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    j += 1
                    depth -= 1
                } else {
                    if object { j = try memberName(j) }
                    continue
                }
            default:
                j = try skipValue(j)
            }
            // After a value: a comma and the next member, or the end of containers.
            while true {
                guard depth > 0 else { return j }
                j = skipSpace(j)
                let object = isObject(depth - 1)
                switch self[j] {
                case UInt8(ascii: ","):
                    j = skipSpace(j + 1)
                    if self[j] == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        throw PayloadSyntaxError(offset: j, "trailing comma before '\(object ? "}" : "]")'")
                    }
                    if object { j = try memberName(j) }
                case object ? UInt8(ascii: "}") : UInt8(ascii: "]"):
                    j += 1
                    depth -= 1
                    continue
                default:
                    throw PayloadSyntaxError(offset: j, "expected ',' or '\(object ? "}" : "]")' in \(object ? "an object" : "an array"), found \(describe(j))")
                }
                break
            }
        }
    }

    /// Skips `"name" :` and the space after it; returns where the member's value starts.
    private func memberName(_ i: Int) throws(PayloadSyntaxError) -> Int {
        guard self[i] == UInt8(ascii: "\"") else { throw PayloadSyntaxError(offset: i, "expected a member name, found \(describe(i))") }
        let j = skipSpace(try stringEnd(i).end + 1)
        guard self[j] == UInt8(ascii: ":") else {
            throw PayloadSyntaxError(offset: j, "expected ':' after a member name, found \(describe(j))")
        }
        return skipSpace(j + 1)
    }

    private func literal(_ word: StaticString, at i: Int) throws(PayloadSyntaxError) -> Int {
        let n = word.utf8CodeUnitCount
        for k in 0..<n where self[i + k] != word.utf8Start[k] {
            throw PayloadSyntaxError(offset: i, "expected \(word), found \(describe(i))")
        }
        return i + n
    }

    /// Whether a number starts at `i` (it may still be malformed).
    func isNumberStart(_ i: Int) -> Bool {
        let b = self[i]
        return b == UInt8(ascii: "-") || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    func isNull(_ i: Int) -> Bool {
        self[i] == UInt8(ascii: "n") && self[i + 1] == UInt8(ascii: "u") && self[i + 2] == UInt8(ascii: "l")
            && self[i + 3] == UInt8(ascii: "l")
    }

    /// One past the end of the number starting at `i`, checked against JSON's grammar
    /// (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
    func numberEnd(_ i: Int) throws(PayloadSyntaxError) -> Int {
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        var j = i
        if self[j] == UInt8(ascii: "-") { j += 1 }
        switch self[j] {
        case UInt8(ascii: "0"): j += 1
        case UInt8(ascii: "1")...UInt8(ascii: "9"): while isDigit(self[j]) { j += 1 }
        default: throw PayloadSyntaxError(offset: i, "invalid number: no digit at byte \(j)")
        }
        if self[j] == UInt8(ascii: ".") {
            j += 1
            guard isDigit(self[j]) else { throw PayloadSyntaxError(offset: i, "invalid number: no digit after '.' at byte \(j)") }
            while isDigit(self[j]) { j += 1 }
        }
        if self[j] == UInt8(ascii: "e") || self[j] == UInt8(ascii: "E") {
            j += 1
            if self[j] == UInt8(ascii: "+") || self[j] == UInt8(ascii: "-") { j += 1 }
            guard isDigit(self[j]) else { throw PayloadSyntaxError(offset: i, "invalid number: no digit in the exponent at byte \(j)") }
            while isDigit(self[j]) { j += 1 }
        }
        return j
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

    /// Whether the bytes `start..<end` are all ASCII.
    func isASCII(_ start: Int, _ end: Int) -> Bool {
        var k = start
        while k < end {
            if base.unsafelyUnwrapped[k] >= 0x80 { return false }
            k += 1
        }
        return true
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
