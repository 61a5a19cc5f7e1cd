import PluginSupport
import Testing

/// Times typed by people and scripts: a typo in an offset or a second must be refused, not
/// silently shift the time (issue 13, item 7).
@Suite struct TimeValueTests {
    @Test(arguments: [
        ("2022-01-12T04:00+99:99", "offset +99:99 is out of range (-12:00 to +14:00, minutes 00–59)"),
        ("2022-01-12T04:00+25:00", "offset +25:00 is out of range (-12:00 to +14:00, minutes 00–59)"),
        ("2022-01-12T04:00+08:60", "offset +08:60 is out of range (-12:00 to +14:00, minutes 00–59)"),
        ("2022-01-12T04:00-13:00", "offset -13:00 is out of range (-12:00 to +14:00, minutes 00–59)"),
        ("2022-01-12T04:00:60+08:00", "second 60 is not 00–59"),
        ("2022-01-12T24:00+08:00", "hour 24 is not 00–23"),
        ("2022-01-12T04:60+08:00", "minute 60 is not 00–59"),
        ("2022-02-30", "day 30 is not in 2022-02 (01–28)"),
        ("2022-13-01", "month 13 is not 01–12"),
        ("0999-01-01", "year 999 is before 1000"),
        ("2022-01-12T04:00+8:00", "the offset must be ±HH:MM, such as +08:00"),
        ("yesterday", "expected now, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]"),
    ])
    func refusedWithTheReason(_ text: String, _ reason: String) {
        #expect(ValueParser.time(text) == nil)
        #expect(ValueParser.timeProblem(text) == reason)
    }

    @Test func theWidestRealOffsetsAreAccepted() {
        #expect(ValueParser.time("2022-01-12T04:00+14:00") == ValueParser.time("2022-01-11T14:00Z"))
        #expect(ValueParser.time("2022-01-12T04:00-12:00") == ValueParser.time("2022-01-12T16:00Z"))
        #expect(ValueParser.time("2022-01-12T04:00:59+05:45") != nil)
        #expect(ValueParser.timeProblem("2022-01-12T04:00+08:00") == nil)
    }

    @Test func yearsBeforeOneThousandPrintWithFourDigits() {
        // 0987-06-05T00:00:00Z
        let t: Int64 = -31_007_059_200
        #expect(ValueParser.iso8601(t, in: .utc).hasPrefix("0987-06-05T00:00:00"), "\(ValueParser.iso8601(t, in: .utc))")
    }
}
