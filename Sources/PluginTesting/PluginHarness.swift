public import DoorstepCore
import Foundation
public import PluginAPI
import Synchronization

/// Runs one or more plugins in process, against a journal in a temporary directory and a
/// ``ManualClock``: send commands as a role, then look at replies, recorded journal events and
/// published events. No daemon, no socket; the same dispatch, validation and journal as
/// `doorstepd`.
///
/// ```swift
/// let harness = try await PluginHarness([RosterPlugin.self, VisitsPlugin.self])
/// defer { harness.remove() }
/// let reply = try await harness.ok("roster.household.add 1-1-101", as: .operator)
/// #expect(try harness.recorded(plugin: "roster").map(\.type) == ["residents.put"])
/// await harness.stop()
/// ```
public final class PluginHarness: Sendable {
    /// The clock every plugin reads.
    public let clock: ManualClock
    /// The state directory (journal and snapshots).
    public let stateDir: String
    private let registry: [any DoorstepPlugin.Type]
    private let configFile: String
    private let host: Mutex<InProcessHost?>
    private let events = EventLog()

    /// Starts `plugins` with `config` (TOML, as in `doorstep.toml`; e.g. `[plugins.probe]\nenabled = true`),
    /// in the zone ``defaultTimezone`` unless it sets `[daemon] timezone`.
    ///
    /// - Throws: the config error (with its line) or what opening the state throws.
    public init(_ plugins: [any DoorstepPlugin.Type], config: String = "", clock: ManualClock = ManualClock()) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-harness-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        self.stateDir = dir + "/state"
        self.clock = clock
        self.registry = plugins
        // Always a file (empty: the defaults), so reload(config:) can change it.
        configFile = dir + "/doorstep.toml"
        try Self.withZone(config).write(toFile: configFile, atomically: true, encoding: .utf8)
        host = Mutex(nil)
        try await start()
    }

    private func start() async throws {
        let events = self.events
        let started = try await InProcessHost(registry: registry, configFile: configFile, stateDir: stateDir, clock: clock) { event in
            events.list.withLock { $0.append(event) }
        }
        host.withLock { $0 = started }
    }

    private var running: InProcessHost {
        get throws {
            guard let host = host.withLock({ $0 }) else { throw HarnessError("the harness is stopped") }
            return host
        }
    }

    /// Sends `line` (with an optional heredoc `body`, as text or as `bytes` in any encoding,
    /// as `doorstepctl --data FILE` sends a file) as a caller with `role`; returns once what it
    /// committed is durable, so the events it announced have been published. Bytes go to a
    /// text command only if they are UTF-8 (else `415`), as on the socket.
    public func send(_ line: String, body: String? = nil, bytes: [UInt8]? = nil, as role: Role = .admin) async throws
        -> Result<Reply, ControlError>
    {
        let host = try running
        let result = await host.send(line, body: body, bytes: bytes, role: role)
        await host.flush()
        return result
    }

    /// The zone tests run in unless their config sets `[daemon] timezone`: fixed, so a test
    /// gives the same answer on every machine (the daemon itself defaults to the system's).
    public static let defaultTimezone = "Asia/Shanghai"

    /// `config` with `[daemon] timezone = defaultTimezone` when it sets none.
    static func withZone(_ config: String) -> String {
        guard !config.contains("timezone") else { return config }
        let line = "timezone = \"\(defaultTimezone)\"\n"
        if let range = config.range(of: "[daemon]\n") { return config.replacingCharacters(in: range, with: "[daemon]\n" + line) }
        return "[daemon]\n" + line + config
    }

    /// Replaces the config file with `config` and reloads it, as `reload` does (plugins newly
    /// enabled start, disabled ones stop, changed ones reload in place or restart).
    ///
    /// - Returns: one line per change.
    /// - Throws: ``HarnessError`` with the error `reload` answered.
    @discardableResult
    public func reload(config: String) async throws -> [String] {
        try Self.withZone(config).write(toFile: configFile, atomically: true, encoding: .utf8)
        switch await (try running).reload() {
        case .success(let changes): return changes
        case .failure(let error): throw HarnessError("reload: \(error.code) \(error.name): \(error.message)")
        }
    }

    /// Waits until every plugin has reacted to everything committed so far (and to what those
    /// reactions committed in turn).
    ///
    /// - Throws: ``HarnessError`` when they did not settle within `limit` (a failing handler).
    ///   Generous by default: it returns as soon as they settle, and a test process whose
    ///   threads are busy with other tests can starve the plugins for a long while.
    public func settle(limit: Duration = .seconds(60)) async throws {
        guard await (try running).settle(limit: limit) else {
            throw HarnessError("reactions did not catch up with the journal within \(limit)")
        }
    }

    /// The reply to `line`, which must succeed.
    ///
    /// - Throws: ``HarnessError`` with the error the daemon answered.
    @discardableResult
    public func ok(_ line: String, body: String? = nil, bytes: [UInt8]? = nil, as role: Role = .admin) async throws -> Reply {
        switch try await send(line, body: body, bytes: bytes, as: role) {
        case .success(let reply): return reply
        case .failure(let error): throw HarnessError("\(line): expected success, got \(error.code) \(error.name): \(error.message)")
        }
    }

    /// The error `line` is answered with, which must fail.
    ///
    /// - Throws: ``HarnessError`` when it succeeded.
    public func error(_ line: String, body: String? = nil, bytes: [UInt8]? = nil, as role: Role = .admin) async throws
        -> ControlError
    {
        switch try await send(line, body: body, bytes: bytes, as: role) {
        case .success(let reply): throw HarnessError("\(line): expected an error, got \(reply.message)")
        case .failure(let error): return error
        }
    }

    /// The journal records written so far (of `plugin`, or all), once they are durable.
    public func recorded(plugin: String? = nil) async throws -> [RecordedEvent] {
        let host = try running
        await host.flush()
        return try host.records(of: plugin)
    }

    /// Events published on the bus so far (matching `pattern`, or all), in order.
    ///
    /// The host's `NAMESPACE.changed` events (one per change, docs/protocol.md §5) are left out
    /// unless the pattern names them (`*.changed`, `visits.changed`): a plugin's tests look at
    /// the plugin's own events.
    public func published(_ pattern: String = "*") -> [Event] {
        let changes = pattern.hasSuffix(".changed")
        // `visits.changed` (one dot) is the host's; `roster.residents.changed` is the plugin's own.
        func isHostChange(_ name: String) -> Bool { name.hasSuffix(".changed") && name.split(separator: ".").count == 2 }
        return events.list.withLock { $0.filter { EventPattern.matches(pattern, $0.name) && (changes || !isHostChange($0.name)) } }
    }

    /// Forgets the published events seen so far.
    public func clearPublished() { events.list.withLock { $0.removeAll() } }

    /// Takes a snapshot of every plugin (as `state.snapshot`).
    public func snapshot() async throws { try await (try running).snapshot() }

    /// Stops the plugins and starts them again from the journal and snapshots (a restart).
    public func restart() async throws {
        await stop()
        try await start()
    }

    /// Stops the plugins and closes the journal.
    public func stop() async {
        guard let host = host.withLock({ h in defer { h = nil }; return h }) else { return }
        await host.stop()
    }

    /// Removes the temporary directory (call after ``stop()``).
    public func remove() {
        try? FileManager.default.removeItem(atPath: (stateDir as NSString).deletingLastPathComponent)
    }
}

/// Published events, shared with the hub's tap (a `Mutex` itself cannot be captured).
private final class EventLog: Sendable {
    let list = Mutex<[Event]>([])
}

/// A harness expectation that did not hold, or a harness used after it stopped.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Reply {
    /// The reply's data member `key` (for `.object` data).
    public subscript(key: String) -> JSON? { data[key] }
}
