import Glibc
public import PluginAPI
import PluginSupport
import Synchronization

/// One plugin's timers, each a task; all are cancelled when the plugin stops.
final class PluginTimers: TimerService {
    private let tasks = Mutex<[UInt64: Task<Void, Never>]>([:])
    private let counter = Atomic<UInt64>(0)
    private let logger: Logger
    private let pluginID: String
    private let persistent: PersistentTimers?
    /// What timers sleep on and read (a manual clock in tests).
    private let clock: any WallClock
    /// The community's zone now (daily schedules; set around each action).
    private let zone: @Sendable () -> CommunityZone

    init(logger: Logger, pluginID: String = "", persistent: PersistentTimers? = nil, clock: any WallClock = SystemClock(),
         zone: @escaping @Sendable () -> CommunityZone = { .system }) {
        self.clock = clock
        self.zone = zone
        self.logger = logger
        self.pluginID = pluginID
        self.persistent = persistent
    }

    func persist(_ name: String, at epochSeconds: Int64) async throws {
        guard let persistent else { throw ControlError.unavailable("persistent timers are not available") }
        try await persistent.set(plugin: pluginID, name: name, due: epochSeconds)
    }

    func cancelPersistent(_ name: String) async throws {
        guard let persistent else { throw ControlError.unavailable("persistent timers are not available") }
        try await persistent.cancel(plugin: pluginID, name: name)
    }

    func schedule(_ name: String, _ schedule: TimerSchedule, _ action: @escaping @Sendable () async -> Void) -> TimerHandle {
        let id = counter.add(1, ordering: .relaxed).newValue
        let logger = self.logger, clock = self.clock, zone = self.zone
        let fire: @Sendable () async -> Void = { await CommunityZone.$current.withValue(zone()) { await action() } }
        let task = Task { [weak self] in
            defer { self?.forget(id) }
            do {
                switch schedule {
                case .after(let delay):
                    try await clock.sleep(for: delay)
                    await fire()
                case .every(let interval):
                    while !Task.isCancelled {
                        try await clock.sleep(for: interval)
                        await fire()
                    }
                case .at(let epoch):
                    try await clock.sleep(until: epoch)
                    await fire()
                case .daily(let hour, let minute):
                    while !Task.isCancelled {
                        try await clock.sleep(until: TimerSchedule.nextDaily(hour: hour, minute: minute, in: zone(), after: clock.now()))
                        await fire()
                    }
                }
            } catch {
                logger.debug("timer cancelled", metadata: ["timer.name": "\(name)"])
            }
        }
        tasks.withLock { $0[id] = task }
        return TimerHandle { [weak self] in self?.cancel(id) }
    }

    private func forget(_ id: UInt64) { _ = tasks.withLock { $0.removeValue(forKey: id) } }

    private func cancel(_ id: UInt64) { tasks.withLock { $0.removeValue(forKey: id) }?.cancel() }

    /// Cancels every timer.
    func cancelAll() {
        for task in tasks.withLock({ t in defer { t = [:] }; return Array(t.values) }) { task.cancel() }
    }
}
