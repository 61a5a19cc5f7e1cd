import Glibc
public import PluginAPI
import Synchronization

/// One plugin's timers, each a task; all are cancelled when the plugin stops.
final class PluginTimers: TimerService {
    private let tasks = Mutex<[UInt64: Task<Void, Never>]>([:])
    private let counter = Atomic<UInt64>(0)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func schedule(_ name: String, _ schedule: TimerSchedule, _ action: @escaping @Sendable () async -> Void) -> TimerHandle {
        let id = counter.add(1, ordering: .relaxed).newValue
        let logger = self.logger
        let task = Task { [weak self] in
            defer { if case .every = schedule {} else { self?.forget(id) } }
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
                    // Sleep in bounded steps so a wall-clock change is noticed within a minute.
                    while true {
                        let now = Int64(time(nil))
                        if now >= epoch { break }
                        try await Task.sleep(for: .seconds(min(epoch - now, 60)))
                    }
                    await action()
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
