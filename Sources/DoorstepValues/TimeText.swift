/// How text replies show the RFC 3339 times that reply data carries: `2022-01-10T19:00:00+08:00`
/// becomes `2022-01-10 19:00 +08:00` (seconds only when not zero; `Z` as `+00:00`). JSON keeps
/// the RFC 3339 form for tools.
public enum TimeText {
    /// The text form of `s` if it is an RFC 3339 time as the daemon writes them, else nil.
    public static func display(_ s: String) -> String? {
        let b = s.utf8
        // Cheap rejections first: this runs for every string a text reply shows.
        guard b.count == 20 || b.count == 25 else { return nil }
        let bytes = Array(b)
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 } }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            digits(0..<4), digits(5..<7), digits(8..<10), digits(11..<13), digits(14..<16), digits(17..<19)
        else { return nil }
        let offset: Substring
        if bytes.count == 20 {
            guard bytes[19] == UInt8(ascii: "Z") else { return nil }
            offset = "+00:00"
        } else {
            guard bytes[19] == UInt8(ascii: "+") || bytes[19] == UInt8(ascii: "-"), bytes[22] == UInt8(ascii: ":"),
                digits(20..<22), digits(23..<25)
            else { return nil }
            offset = s.suffix(6)
        }
        let date = s.prefix(10)
        let clock = bytes[17] == 0x30 && bytes[18] == 0x30 ? s.dropFirst(11).prefix(5) : s.dropFirst(11).prefix(8)
        return date + " " + clock + " " + offset
    }
}
