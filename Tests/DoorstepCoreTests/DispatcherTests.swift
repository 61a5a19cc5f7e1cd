@testable import DoorstepCore
import DoorstepProtocol
import PluginAPI
import PluginSupport
import Logging
import ProbePlugin
import Testing
import PluginSupport
import PluginTesting
import Synchronization

@Suite("Argument binding")
struct DispatcherTests {
    let spec = CommandSpec("visits.record", summary: "record", role: .operator, arguments: [
        .positional("household", summary: "household id"),
        .named("outcome", .choice(["answered", "no-answer"]), required: true),
        .named("people", .int(min: 0, max: 50)),
        .named("at", .time),
    ])
    let caller = Caller(uid: 0, gid: 0, pid: 1, role: .admin)

    func bind(_ line: String, body: String? = nil, spec: CommandSpec? = nil) throws(ControlError) -> Request {
        let parsed = try! Lexer.parse(line)!
        return try Dispatcher.bind(parsed.words.dropFirst(), to: spec ?? self.spec, body: body, caller: caller)
    }

    func error(_ line: String, body: String? = nil, spec: CommandSpec? = nil) -> ControlError? {
        do {
            _ = try bind(line, body: body, spec: spec)
            return nil
        } catch {
            return error
        }
    }

    @Test func bindsPositionalAndNamed() throws {
        let r = try bind("visits.record 3-2-501 outcome=answered people=3 at=2022-01-10T19:30+08:00")
        #expect(r.string("household") == "3-2-501")
        #expect(try r.int("people") == 3)
        #expect(try r.time("at") == 1_641_814_200)
    }

    @Test func positionalMayBeNamed() throws {
        let r = try bind("visits.record household=3-2-501 outcome=answered")
        #expect(r.string("household") == "3-2-501")
    }

    @Test(arguments: [
        ("visits.record 3-2-501", 420, "missing argument 'outcome'"),
        ("visits.record 3-2-501 outcome=maybe", 422, "expected one of answered, no-answer, got 'maybe'"),
        ("visits.record 3-2-501 outcome=answered people=51", 422, "argument 'people': expected an integer ≤ 50, got 51"),
        ("visits.record 3-2-501 outcome=answered people=三", 422, "expected an integer, got '三'"),
        ("visits.record 3-2-501 outcome=answered at=yesterday", 422, "argument 'at': 'yesterday' is not a time: expected now, YYYY-MM-DD"),
        ("visits.record 3-2-501 outcome=answered peeple=3", 422, "has no argument 'peeple' (did you mean 'people'?)"),
        ("visits.record 3-2-501 outcome=answered outcome=answered", 422, "given twice"),
        ("visits.record 3-2-501 3-2-502 outcome=answered", 422, "unexpected argument '3-2-502'"),
    ])
    func badArgumentsAreNamed(line: String, code: Int, message: String) {
        let e = error(line)
        #expect(e?.code == code)
        #expect(e?.message.contains(message) == true, "\(e?.message ?? "no error")")
    }

    @Test func bodyRules() {
        #expect(error("visits.record 1 outcome=answered", body: "x")?.message.contains("takes no body") == true)
        let needs = CommandSpec("x.import", summary: "", body: .required)
        #expect(error("x.import", spec: needs)?.code == 420)
        #expect(error("x.import", body: "", spec: needs) == nil)
    }

    @Test func longGarbageIsNotComparedAndIsShortenedInMessages() {
        let garbage = String(repeating: "q", count: 65_000)
        #expect(Suggest.closest(to: [garbage], among: ["status"]) == nil)
        #expect(ValueParser.shown(garbage).count == 78)
    }

    @Test func dailyTimers() {
        // 2022-01-12T04:00Z is 12:00 in China; the 20:00 report is due at 12:00Z the same day.
        let china = CommunityZone(identifier: "Asia/Shanghai")!
        #expect(TimerSchedule.nextDaily(hour: 20, minute: 0, in: china, after: 1_641_960_000) == 1_641_988_800)
        #expect(TimerSchedule.nextDaily(hour: 8, minute: 0, in: china, after: 1_641_960_000) == 1_642_032_000)
        // New York, 2022-03-13: 02:30 does not exist (clocks jump to 03:00); the 20:00 firing is
        // 00:00Z the next day in EDT (UTC-4), not 01:00Z.
        let newYork = CommunityZone(identifier: "America/New_York")!
        let march13Noon = ValueParser.time("2022-03-13T12:00-04:00")!
        #expect(TimerSchedule.nextDaily(hour: 20, minute: 0, in: newYork, after: march13Noon) == ValueParser.time("2022-03-14T00:00Z"))
    }

    /// Three days of a 20:00 daily timer on a manual clock, in seconds: it fires once a day at
    /// 20:00 in the community's zone (12:00Z for Shanghai), in that zone, and not in between.
    @Test func aDailyTimerFiresOnceADayForThreeSimulatedDays() async throws {
        let china = CommunityZone(identifier: "Asia/Shanghai")!
        let clock = ManualClock()  // 2022-01-12T04:00Z, 12:00 in China
        let fired = Mutex<[(Int64, String)]>([])
        let timers = PluginTimers(logger: Logger(label: "test"), clock: clock, zone: { china })
        _ = timers.schedule("report", .daily(hour: 20, minute: 0)) {
            fired.withLock { $0.append((clock.now(), ValueParser.iso8601(clock.now()))) }
        }
        func waitArmed() async throws {
            var tries = 0
            while clock.sleepers == 0, tries < 1_000 {
                tries += 1
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        for _ in 1...72 {
            try await waitArmed()
            clock.advance(by: .seconds(3600))
            // A due firing takes the sleeper away at once; it is back once the action ran.
        }
        try await waitArmed()
        timers.cancelAll()
        let times = fired.withLock { $0 }
        #expect(times.map(\.0) == [1_641_988_800, 1_642_075_200, 1_642_161_600], "\(times)")
        #expect(times.map(\.1) == ["2022-01-12T20:00:00+08:00", "2022-01-13T20:00:00+08:00", "2022-01-14T20:00:00+08:00"])
    }

    @Test func timesAreReadAndShownInTheCommunitysZone() {
        let china = CommunityZone(identifier: "Asia/Shanghai")!
        CommunityZone.$current.withValue(china) {
            // No offset: local time. With one: as written.
            #expect(ValueParser.time("2022-01-10 19:00") == ValueParser.time("2022-01-10T11:00Z"))
            #expect(ValueParser.time("2022-01-10T19:00-05:00") == ValueParser.time("2022-01-11T00:00Z"))
            let t = ValueParser.time("2022-01-10T11:00Z")!
            #expect(ValueParser.iso8601(t) == "2022-01-10T19:00:00+08:00")
            #expect(ValueParser.display(t) == "2022-01-10 19:00 +08:00")
            #expect(ValueParser.localDate(ValueParser.time("2022-01-10T17:00Z")!) == "2022-01-11", "01:00 the next day in China")
            let day = try? ValueParser.localDay("2022-01-10", now: 0)
            #expect(day?.start == ValueParser.time("2022-01-09T16:00Z") && day?.end == ValueParser.time("2022-01-10T16:00Z"))
        }
        CommunityZone.$current.withValue(.utc) {
            #expect(ValueParser.iso8601(0) == "1970-01-01T00:00:00Z")
            #expect(ValueParser.display(5) == "1970-01-01 00:00:05 +00:00")
        }
        let newYork = CommunityZone(identifier: "America/New_York")!
        CommunityZone.$current.withValue(newYork) {
            // 2022-11-06 is 25 hours long there.
            let day = try? ValueParser.localDay("2022-11-06", now: 0)
            let hours = day.map { ($0.end - $0.start) / 3600 } ?? 0
            #expect(hours == 25)
            #expect(ValueParser.iso8601(ValueParser.time("2022-07-01T12:00Z")!) == "2022-07-01T08:00:00-04:00")
        }
        #expect(TimeText.display("2022-01-10T19:00:00+08:00") == "2022-01-10 19:00 +08:00")
        #expect(TimeText.display("2022-01-10T19:00:30Z") == "2022-01-10 19:00:30 +00:00")
        #expect(TimeText.display("2022-01-10 19:00") == nil)
        #expect(TimeText.display("门牌2022-01-10T19:00+08:00") == nil)
        #expect(CommunityZone(identifier: "Mars/Olympus") == nil)
    }

    @Test func suggestions() {
        #expect(Suggest.closest(to: ["visit.record"], among: ["visits.record", "status"]) == "visits.record")
        #expect(Suggest.closest(to: ["zzzzzz"], among: ["visits.record", "status"]) == nil)
        #expect(Suggest.distance("kitten", "sitting") == 3)
    }

    @Test func timeParsing() {
        CommunityZone.$current.withValue(CommunityZone(identifier: "Asia/Shanghai")!) {
            #expect(ValueParser.time("2022-01-12T04:00:00Z") == 1_641_960_000)
            #expect(ValueParser.time("2022-01-12 12:00") == 1_641_960_000)
            #expect(ValueParser.time("2022-01-12") == 1_641_916_800)
            #expect(ValueParser.time("2022-02-30") == nil)
            #expect(ValueParser.iso8601(1_641_960_000) == "2022-01-12T12:00:00+08:00")
        }
        #expect(ValueParser.duration("90s") == .seconds(90))
        #expect(ValueParser.duration("5m") == .seconds(300))
        #expect(ValueParser.duration("-1") == nil)
        #expect(ValueParser.duration("9223372036854775807d") == nil, "no overflow trap")
        #expect(ValueParser.duration("99999999999999999") == nil)
    }

    @Test func eventPatterns() {
        #expect(EventPattern.matches("visits.*", "visits.need.opened"))
        #expect(EventPattern.matches("*", "probe.x"))
        #expect(EventPattern.matches("*.opened", "visits.need.opened"))
        #expect(!EventPattern.matches("visits.*", "supplies.request"))
        #expect(!EventPattern.matches("probe.x", "probe.xy"))
        #expect(EventPattern.problem(with: "visits.*") == nil)
        #expect(EventPattern.problem(with: "a b") != nil)
    }
}

/// A plugin that tries to shadow a core command.
actor ShadowPlugin: DoorstepPlugin {
    static let id = "shadow"
    static let summary = "bad"
    static let commands: [Command<ShadowPlugin>] = [Command("reload", summary: "not mine") { _, _ in Reply() }]
    init(config: PluginConfig, context: PluginContext) throws {}
}

/// A plugin with a long id and a short namespace (as reading-promotion answers reading.*).
actor LongNamePlugin: DoorstepPlugin {
    static let id = "long-name"
    static let namespace = "probe"
    static let summary = "a namespace"
    static let commands: [Command<LongNamePlugin>] = [Command("probe.other", summary: "x") { _, _ in Reply() }]
    init(config: PluginConfig, context: PluginContext) throws {}
}

/// Its own namespace, and a command outside it.
actor OutsidePlugin: DoorstepPlugin {
    static let id = "outside-plugin"
    static let namespace = "outside"
    static let summary = "bad"
    static let commands: [Command<OutsidePlugin>] = [Command("outside-plugin.x", summary: "id, not namespace") { _, _ in Reply() }]
    init(config: PluginConfig, context: PluginContext) throws {}
}

@Suite("Plugin registry")
struct RegistryTests {
    @Test func commandsOutsideThePluginNamespaceAreRefused() {
        let host = PluginHost(registry: [ShadowPlugin.self], hub: EventHub(), logger: Logger(label: "t"))
        #expect(throws: ConfigFileError.self) { try host.validateRegistry() }
        let good = PluginHost(registry: [ProbePlugin.self], hub: EventHub(), logger: Logger(label: "t"))
        #expect(throws: Never.self) { try good.validateRegistry() }
    }

    @Test func aNamespaceIsUniqueAndHoldsThePluginsCommands() {
        #expect(throws: Never.self) { try PluginHost(registry: [LongNamePlugin.self], hub: EventHub(), logger: Logger(label: "t")).validateRegistry() }
        do {
            try PluginHost(registry: [ProbePlugin.self, LongNamePlugin.self], hub: EventHub(), logger: Logger(label: "t")).validateRegistry()
            Issue.record("two plugins with the namespace probe were accepted")
        } catch {
            #expect("\(error)".contains("plugins probe and long-name both use the name 'probe'"), "\(error)")
        }
        do {
            try PluginHost(registry: [OutsidePlugin.self], hub: EventHub(), logger: Logger(label: "t")).validateRegistry()
            Issue.record("a command named by the id, not the namespace, was accepted")
        } catch {
            #expect("\(error)".contains("names must start with 'outside.'"), "\(error)")
        }
    }
}
