/// Strict UTF-8 validation that says where the first bad byte is, for `415 invalid_utf8`.
public enum UTF8Check {
    /// Offset of the first byte that is not part of a well-formed UTF-8 sequence, or nil.
    ///
    /// Rejects overlong forms, surrogates and values above U+10FFFF, as RFC 3629 requires.
    public static func firstInvalidByte<C: Collection>(_ bytes: C) -> Int? where C.Element == UInt8, C.Index == Int {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let need: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i - bytes.startIndex
            }
            for k in 1...need {
                guard i + k < end else { return i - bytes.startIndex }
                let c = bytes[i + k]
                let (l, h) = k == 1 ? (lo, hi) : (UInt8(0x80), UInt8(0xBF))
                guard c >= l, c <= h else { return i - bytes.startIndex }
            }
            i += need + 1
        }
        return nil
    }
}
