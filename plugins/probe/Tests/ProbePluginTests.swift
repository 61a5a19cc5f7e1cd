import PluginAPI
import PluginTesting
import ProbePlugin
import Testing

/// The probe in process: commands, typed arguments, the journal, events, restarts.
@Suite struct ProbePluginTests {
    let config = "[plugins.probe]\nenabled = true\n"

    @Test func setGetDeleteAreJournalledAndSurviveARestart() async throws {
        let harness = try await PluginHarness([ProbePlugin.self], config: config)
        defer { harness.remove() }
        try await harness.ok("probe.set 楼栋 3号楼", as: .operator)
        try await harness.ok("probe.set k v", as: .operator)
        try await harness.ok("probe.del k", as: .operator)
        let records = try await harness.recorded(plugin: "probe")
        #expect(records.map(\.type) == ["set", "set", "del"])
        #expect(records.map(\.version) == [2, 2, 1])
        try await harness.restart()
        #expect(try await harness.ok("probe.get 楼栋").lines == ["3号楼"])
        let missing = try await harness.error("probe.get k")
        #expect(missing.name == "not_found")
        await harness.stop()
    }

    @Test func argumentsAreTypedBeforeTheHandlerRuns() async throws {
        let harness = try await PluginHarness([ProbePlugin.self], config: config)
        defer { harness.remove() }
        #expect(try await harness.ok("probe.echo 你好 world upper=yes").lines == ["你好 WORLD"])
        let bad = try await harness.error("probe.sleep ms=lots")
        #expect(bad.name == "invalid_argument")
        #expect(bad.message.contains("ms"))
        let missing = try await harness.error("probe.sleep")
        #expect(missing.name == "missing_argument")
        let forbidden = try await harness.error("probe.set a b", as: .viewer)
        #expect(forbidden.name == "forbidden")
        #expect(try await harness.recorded(plugin: "probe").isEmpty)
        await harness.stop()
    }

    @Test func publishedEventsAreSeenAndStampedByTheManualClock() async throws {
        let clock = ManualClock(iso8601: "2022-01-12T04:00+08:00")!
        let harness = try await PluginHarness([ProbePlugin.self], config: config, clock: clock)
        defer { harness.remove() }
        clock.advance(by: .seconds(90))
        try await harness.ok("probe.publish hello text=急", as: .operator)
        let events = harness.published("probe.*")
        #expect(events.map(\.name) == ["probe.hello"])
        #expect(events.first?.time == clock.now())
        #expect(events.first?.data["text"] == .string("急"))
        await harness.stop()
    }

    @Test func eventsAreDeclaredOnceWithoutDuplicates() {
        #expect(ProbePlugin.commandSpecs.count == ProbePlugin.commands.count)
        #expect(Set(ProbePlugin.commandSpecs.map(\.name)).count == ProbePlugin.commandSpecs.count)
    }
}
