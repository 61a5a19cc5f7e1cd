import Foundation
import Glibc
import PluginAPI
import PluginSupport

/// The persistent timers of every plugin, kept in the journal under the reserved id `timers`
/// like a plugin's state: `set` and `done` events, a snapshot of what is pending.
actor PersistentTimers: StatefulPlugin {
    static let id = "timers"
    static let summary = "persistent timers (host)"
    static let commands: [Command<PersistentTimers>] = []

    struct Set: StateEvent {
        static let eventType = "set"
        static let schemaVersion = 1
        var plugin: String
        var name: String
        var due: Int64
    }

    struct Done: StateEvent {
        static let eventType = "done"
        static let schemaVersion = 1
        var plugin: String
        var name: String
    }

    struct Key: Hashable, Codable, Comparable {
        var plugin: String
        var name: String
        static func < (a: Key, b: Key) -> Bool { (a.plugin, a.name) < (b.plugin, b.name) }
    }

    private var pending: [Key: Int64] = [:]
    private var tasks: [Key: Task<Void, Never>] = [:]
    private let context: PluginContext
    /// Delivers a due timer to its plugin (set by the host once plugins run).
    private var deliver: (@Sendable (String, String) async -> Bool)?

    nonisolated var stateService: any StateService { context.state }

    init(config: PluginConfig, context: PluginContext) throws { self.context = context }

    /// The timers' journal records, each with the function applying it.
    static let events = EventHandlers<[Key: Int64]>(
        .on(Set.self) { pending, set, _ in pending[Key(plugin: set.plugin, name: set.name)] = set.due },
        .on(Done.self) { pending, done, _ in pending.removeValue(forKey: Key(plugin: done.plugin, name: done.name)) }
    )

    func apply(_ event: RecordedEvent) throws { try Self.events.apply(event, to: &pending) }

    func encodeSnapshot() throws -> [UInt8] {
        let rows = pending.sorted { $0.key < $1.key }.map { Set(plugin: $0.key.plugin, name: $0.key.name, due: $0.value) }
        return try SnapshotJSON.encode(rows)
    }

    func restoreSnapshot(_ bytes: [UInt8]?) throws {
        pending = [:]
        guard let bytes else { return }
        for row in try SnapshotJSON.decode([Set].self, bytes, empty: []) { pending[Key(plugin: row.plugin, name: row.name)] = row.due }
    }

    /// Starts delivering: schedules every pending timer; overdue ones fire now, once.
    func start(deliver: @escaping @Sendable (String, String) async -> Bool) {
        self.deliver = deliver
        for (key, due) in pending { arm(key, due) }
    }

    func set(plugin: String, name: String, due: Int64) async throws {
        try await record(Set(plugin: plugin, name: name, due: due))
        if deliver != nil { arm(Key(plugin: plugin, name: name), due) }
    }

    func cancel(plugin: String, name: String) async throws {
        let key = Key(plugin: plugin, name: name)
        guard pending[key] != nil else { return }
        tasks.removeValue(forKey: key)?.cancel()
        try await record(Done(plugin: plugin, name: name))
    }

    private func arm(_ key: Key, _ due: Int64) {
        tasks[key]?.cancel()
        tasks[key] = Task { [weak self] in
            do { try await self?.context.clock.sleep(until: due) } catch { return }
            await self?.fire(key, due)
        }
    }

    private func fire(_ key: Key, _ due: Int64) async {
        // Only the firing of the current due time; a replaced timer's old task does nothing.
        guard pending[key] == due, let deliver else { return }
        tasks.removeValue(forKey: key)
        // A plugin that is not running keeps its timer for the next start that runs it.
        guard await deliver(key.plugin, key.name) else { return }
        _ = try? await record(Done(plugin: key.plugin, name: key.name))
    }

    /// Re-arms every pending timer (after its state was rebuilt from disk).
    func rearm() {
        for task in tasks.values { task.cancel() }
        tasks = [:]
        guard deliver != nil else { return }
        for (key, due) in pending { arm(key, due) }
    }

    func stopAll() {
        for task in tasks.values { task.cancel() }
        tasks = [:]
    }
}
