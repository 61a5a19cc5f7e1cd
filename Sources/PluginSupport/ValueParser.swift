public import DoorstepValues

/// Parsers for the argument and config value types, shared by the host's validation and the
/// plugins' typed getters so both agree on what is valid.
public enum ValueParser {
    /// Decimal integer with optional sign.
    public static func int(_ s: String) -> Int? { Int(s) }

    /// `true|false|yes|no|on|off|1|0`.
    public static func bool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: return nil
        }
    }

    /// `90` (seconds), `90s`, `500ms`, `5m`, `2h`, `1d`.
    public static func duration(_ s: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        // At most ten years: larger values are typos, and must not overflow.
        let limit: Int64 = 10 * 365 * 86_400_000
        for (suffix, millis) in units where s.hasSuffix(suffix) {
            guard let n = Int64(s.dropLast(suffix.count)), n >= 0 else { return nil }
            let (total, overflow) = n.multipliedReportingOverflow(by: millis)
            guard !overflow, total <= limit else { return nil }
            return .milliseconds(total)
        }
        guard let n = Int64(s), n >= 0, n <= limit / 1000 else { return nil }
        return .seconds(n)
    }

    /// ISO-8601 `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]` (a space may replace `T`; no
    /// offset means the community's local time, ``CommunityZone/current``) as seconds since
    /// the epoch; nil when invalid (``timeProblem(_:)`` says why).
    public static func time(_ s: String) -> Int64? {
        if case .success(let t) = readTime(s) { return t }
        return nil
    }

    /// Why `s` is not a time ``time(_:)`` accepts (nil when it is one): `offset +25:00 is out
    /// of range …`, for error messages that say what to fix.
    public static func timeProblem(_ s: String) -> String? {
        if case .failure(let problem) = readTime(s) { return problem.text }
        return nil
    }

    /// The widest UTC offsets in use (UTC−12 to UTC+14): anything past them is a typo that
    /// would silently shift the time by a day.
    public static let offsetRange = -12 * 3600...14 * 3600

    struct TimeProblem: Error { var text: String }

    static func readTime(_ s: String) -> Result<Int64, TimeProblem> {
        // `now`: the host clock's reading for this request (the same instant the handler sees).
        if s == "now" { return .success(RequestClock.current) }
        let b = Array(s.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        func bad(_ text: String) -> Result<Int64, TimeProblem> { .failure(TimeProblem(text: text)) }
        let form = "expected now, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]"
        guard b.count >= 10, let y = num(0, 4), b[4] == UInt8(ascii: "-"), let mo = num(5, 2),
            b[7] == UInt8(ascii: "-"), let d = num(8, 2)
        else { return bad(form) }
        guard (1...12).contains(mo) else { return bad("month \(mo) is not 01–12") }
        guard (1...daysIn(mo, y)).contains(d) else { return bad("day \(d) is not in \(y)-\(two(mo)) (01–\(daysIn(mo, y)))") }
        guard y >= 1000 else { return bad("year \(y) is before 1000") }
        var h = 0, mi = 0, sec = 0, i = 10
        var offset: Int?
        if b.count > 10 {
            guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), let hh = num(11, 2),
                b.count > 13, b[13] == UInt8(ascii: ":"), let mm = num(14, 2)
            else { return bad(form) }
            guard hh < 24 else { return bad("hour \(hh) is not 00–23") }
            guard mm < 60 else { return bad("minute \(mm) is not 00–59") }
            h = hh
            mi = mm
            i = 16
            if i < b.count, b[i] == UInt8(ascii: ":") {
                guard let ss = num(i + 1, 2) else { return bad(form) }
                guard ss < 60 else { return bad("second \(ss) is not 00–59") }
                sec = ss
                i += 3
                if i < b.count, b[i] == UInt8(ascii: ".") {
                    i += 1
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
                }
            }
            if i < b.count {
                if b[i] == UInt8(ascii: "Z") {
                    offset = 0
                    i += 1
                } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                    guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2)
                    else { return bad("the offset must be ±HH:MM, such as +08:00") }
                    let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                    let text = String(decoding: b[i..<min(i + 6, b.count)], as: UTF8.self)
                    guard om < 60, offsetRange.contains((oh * 3600 + om * 60) * sign) else {
                        return bad("offset \(text) is out of range (-12:00 to +14:00, minutes 00–59)")
                    }
                    offset = (oh * 3600 + om * 60) * sign
                    i += 6
                } else {
                    return bad(form)
                }
            }
            guard i == b.count else { return bad(form) }
        }
        let local = Int64(daysFromCivil(y, mo, d)) * 86_400 + Int64(h * 3600 + mi * 60 + sec)
        guard let offset else { return .success(CommunityZone.current.instant(ofLocal: local)) }
        return .success(local - Int64(offset))
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `seconds` since the epoch as RFC 3339 in the community's zone:
    /// `2022-01-10T19:00:00+08:00` (`…Z` when the zone is UTC). Text replies show it as
    /// `2022-01-10 19:00 +08:00` (``TimeText``).
    public static func iso8601(_ seconds: Int64) -> String { iso8601(seconds, in: CommunityZone.current) }

    /// `seconds` as RFC 3339 in `zone`.
    public static func iso8601(_ seconds: Int64, in zone: CommunityZone) -> String {
        let offset = zone.offset(at: seconds)
        let (date, clock) = civil(seconds + Int64(offset))
        return date + "T" + clock + (offset == 0 && zone.isUTC ? "Z" : offsetText(offset))
    }

    /// `seconds` as a person reads it: `2022-01-10 19:00 +08:00` in the community's zone
    /// (seconds shown only when not zero).
    public static func display(_ seconds: Int64) -> String {
        let zone = CommunityZone.current
        let offset = zone.offset(at: seconds)
        let (date, clock) = civil(seconds + Int64(offset))
        return date + " " + (clock.hasSuffix(":00") ? String(clock.prefix(5)) : clock) + " " + offsetText(offset)
    }

    /// The community's calendar date of `seconds`: `2022-01-10`.
    public static func localDate(_ seconds: Int64) -> String {
        civil(seconds + Int64(CommunityZone.current.offset(at: seconds))).date
    }

    /// `+08:00`, `-04:00`, `+00:00`.
    public static func offsetText(_ offset: Int) -> String {
        let a = abs(offset) / 60
        return (offset < 0 ? "-" : "+") + two(a / 60) + ":" + two(a % 60)
    }

    private static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// A year as four digits (RFC 3339 has no other form): `0987`; outside 0–9999, as is.
    private static func four(_ y: Int) -> String {
        guard (0..<1000).contains(y) else { return "\(y)" }
        return String(repeating: "0", count: 4 - "\(y)".count) + "\(y)"
    }

    /// `YYYY-MM-DD` and `HH:MM:SS` of `seconds` read as UTC.
    static func civil(_ seconds: Int64) -> (date: String, clock: String) {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secs = Int(seconds - Int64(days) * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return ("\(four(y))-\(two(m))-\(two(d))", "\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))")
    }

    /// How far ahead of the clock an entry's time may be (two clocks never agree exactly).
    public static let futureSkew: Int64 = 300

    /// Why `s` is not a time of something that has happened (``timeProblem(_:)``, or a time
    /// beyond ``futureSkew`` after the request's clock), or nil when it is one.
    public static func pastTimeProblem(_ s: String) -> String? {
        switch readTime(s) {
        case .failure(let problem): return "'\(shown(s))' is not a time: \(problem.text) (such as 2022-01-12T04:00+08:00, or now)"
        case .success(let t):
            guard let now = RequestClock.now, t > now + futureSkew else { return nil }
            return "\(display(t)) is in the future (now \(display(now))); entries are dated when they happened (at=now for now)"
        }
    }

    /// A value as echoed in an error message: at most 80 characters.
    public static func shown(_ value: String) -> String { value.count <= 80 ? value : String(value.prefix(77)) + "…" }
}
