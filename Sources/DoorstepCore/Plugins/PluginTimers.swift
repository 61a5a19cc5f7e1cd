import Glibc
public import PluginAPI
import Synchronization

/// One plugin's timers, each a task; all are cancelled when the plugin stops.
final class PluginTimers: TimerService {
    private let tasks = Mutex<[UInt64: Task<Void, Never>]>([:])
    private let counter = Atomic<UInt64>(0)
    private let logger: Logger
    private let pluginID: String
    private let persistent: PersistentTimers?

    init(logger: Logger, pluginID: String = "", persistent: PersistentTimers? = nil) {
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
        let logger = self.logger
        let task = Task { [weak self] in
            defer { self?.forget(id) }
            do {
                switch schedule {
                case .after(let delay):
                    try await Task.sleep(for: delay)
                    await action()
                case .every(let interval):
                    while !Task.isCancelled {
                        try await Task.sleep(for: interval)
                        await action()
                    }
                case .at(let epoch):
                    try await Self.sleep(until: epoch)
                    await action()
                case .daily(let hour, let minute, let offset):
                    while !Task.isCancelled {
                        let due = TimerSchedule.nextDaily(hour: hour, minute: minute, utcOffsetSeconds: offset, after: Int64(time(nil)))
                        try await Self.sleep(until: due)
                        await action()
                    }
                }
            } catch {
                logger.debug("timer cancelled", metadata: ["timer.name": "\(name)"])
            }
        }
        tasks.withLock { $0[id] = task }
        return TimerHandle { [weak self] in self?.cancel(id) }
    }

    /// Sleeps until a wall-clock time, in bounded steps so a clock change is noticed within a minute.
    static func sleep(until epoch: Int64) async throws {
        while true {
            let now = Int64(time(nil))
            if now >= epoch { return }
            try await Task.sleep(for: .seconds(min(epoch - now, 60)))
        }
    }

    private func forget(_ id: UInt64) { _ = tasks.withLock { $0.removeValue(forKey: id) } }

    private func cancel(_ id: UInt64) { tasks.withLock { $0.removeValue(forKey: id) }?.cancel() }

    /// Cancels every timer.
    func cancelAll() {
        for task in tasks.withLock({ t in defer { t = [:] }; return Array(t.values) }) { task.cancel() }
    }
}
