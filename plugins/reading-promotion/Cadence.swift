import PluginAPI
import PluginSupport

/// When a series posts: `daily 09:00` or `weekly mon,thu 20:00`, in the community's zone.
struct Cadence: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Weekdays posted on (0 = Monday … 6 = Sunday), ascending; nil: every day.
    var weekdays: [Int]?
    /// Minutes after local midnight.
    var minute: Int

    static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    static let grammar = "expected \"daily HH:MM\" or \"weekly DAYS HH:MM\" with DAYS from mon,tue,wed,thu,fri,sat,sun (e.g. \"weekly mon,thu 20:00\")"

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(_ text: String) throws(Invalid) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        func bad(_ why: String) -> Invalid { Invalid(description: "cadence \"\(ValueParser.shown(text))\": \(why); " + Self.grammar) }
        guard let kind = words.first else { throw bad("empty") }
        let clock: String
        switch kind {
        case "daily":
            guard words.count == 2 else { throw bad("daily takes one time") }
            weekdays = nil
            clock = words[1]
        case "weekly":
            guard words.count == 3 else { throw bad("weekly takes days and a time") }
            var days: Set<Int> = []
            for name in words[1].split(separator: ",", omittingEmptySubsequences: false) {
                guard let day = Self.dayNames.firstIndex(of: String(name)) else { throw bad("unknown day '\(name)'") }
                days.insert(day)
            }
            weekdays = days.sorted()
            clock = words[2]
        default:
            throw bad("unknown kind '\(kind)'")
        }
        let parts = clock.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
            (0..<24).contains(h), (0..<60).contains(m)
        else { throw bad("time '\(clock)' is not HH:MM (00:00 to 23:59)") }
        minute = h * 60 + m
    }

    var description: String {
        let clock = (minute / 60 < 10 ? "0" : "") + "\(minute / 60):" + (minute % 60 < 10 ? "0" : "") + "\(minute % 60)"
        guard let weekdays else { return "daily " + clock }
        return "weekly " + weekdays.map { Self.dayNames[$0] }.joined(separator: ",") + " " + clock
    }

    /// The first slot at or after `t` in `zone`.
    func slot(atOrAfter t: Int64, in zone: CommunityZone) -> Int64 {
        let local = t + Int64(zone.offset(at: t))
        var day = (local - ((local % 86_400) + 86_400) % 86_400) / 86_400
        while true {
            // 1970-01-01 was a Thursday (3 when Monday is 0).
            let weekday = Int(((day + 3) % 7 + 7) % 7)
            if weekdays?.contains(weekday) ?? true {
                let local = day * 86_400 + Int64(minute * 60)
                var instant = zone.instant(ofLocal: local)
                // A time that does not exist (skipped by daylight saving) is read with the
                // offset from before the change: 02:30 on a spring-forward day is 03:30.
                if instant + Int64(zone.offset(at: instant)) != local { instant = local - Int64(zone.offset(at: instant - 86_400)) }
                if instant >= t { return instant }
            }
            day += 1
        }
    }

    /// `count` slots, the first at or after `start`, each after the one before.
    func slots(_ count: Int, from start: Int64, in zone: CommunityZone) -> [Int64] {
        var out: [Int64] = []
        var t = start
        for _ in 0..<count {
            let s = slot(atOrAfter: t, in: zone)
            out.append(s)
            t = s + 1
        }
        return out
    }
}
