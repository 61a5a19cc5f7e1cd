import DoorstepProtocol
import PluginAPI
import PluginTesting
import ProbePlugin
import Testing

/// A plugin whose `run()` fails a moment after it starts.
actor FailingPlugin: DoorstepPlugin {
    static let id = "failing"
    static let summary = "fails in run()"
    static let commands: [Command<FailingPlugin>] = [
        Command("failing.ping", summary: "answers while running") { _, _ in .message("pong") },
    ]
    struct Broke: Error, CustomStringConvertible { var description: String { "the sensor went away" } }
    init(config: PluginConfig, context: PluginContext) throws {}
    func run() async throws {
        try await Task.sleep(for: .milliseconds(50))
        throw Broke()
    }
}

/// Plugins as services: how they start, end, fail and stop, driven in process.
@Suite("Plugin lifecycle")
struct PluginLifecycleTests {
    /// Polls for up to 120 s (the cooperative pool may be busy with the rest of the suite: in
    /// the burst of tests starting together, 30 s were seen to pass before the failing
    /// plugin's run() had its turn); it returns as soon as the condition holds.
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .seconds(120))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    @Test func aPluginWhoseRunThrowsIsMarkedFailedAndStopsServing() async throws {
        let harness = try await PluginHarness([FailingPlugin.self])
        defer { harness.remove() }
        let failed = try await eventually {
            let rows = try await harness.ok("plugins").data.array
            return rows.contains { $0["id"] == .string("failing") && $0["state"] == .string("failed") }
        }
        #expect(failed, "a plugin whose run() threw must be reported failed")
        let refused = try await harness.error("failing.ping")
        #expect(refused.name == "unavailable")
        #expect(refused.message.contains("the sensor went away"))
        await harness.stop()
    }

    @Test func aStopLetsARequestInFlightFinish() async throws {
        let harness = try await PluginHarness([ProbePlugin.self], config: "[plugins.probe]\nenabled = true\n")
        defer { harness.remove() }
        async let slow = harness.send("probe.sleep ms=1000")
        // Once the request is in flight (the plugin counts it), stop the plugins.
        try await Task.sleep(for: .milliseconds(300))
        let stopping = ContinuousClock.now
        await harness.stop()
        // The stop waited for it (it had about 700 ms to go), rather than cutting it off.
        #expect(ContinuousClock.now - stopping > .milliseconds(300))
        let reply = try await slow
        #expect((try? reply.get())?.message == "slept", "the request in flight was answered before the plugin stopped")
    }
}
