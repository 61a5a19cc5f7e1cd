public import PluginAPI
import PluginSupport
import Synchronization

/// A clock that moves only when a test says so: timers, backoffs and schedules that sleep on
/// it wake when ``advance(by:)`` passes their time, so days of schedules run in milliseconds.
public final class ManualClock: WallClock {
    struct Waiter {
        /// Wall-clock seconds, or monotonic time, the sleeper waits for.
        let wall: Int64?
        let mono: Duration?
        let continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var seconds: Int64
        var mono: Duration = .zero
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]

        func isDue(_ w: Waiter) -> Bool {
            if let wall = w.wall { return seconds >= wall }
            return mono >= w.mono!
        }
    }

    private let state: Mutex<State>

    /// Starts at `start` (seconds since the epoch); the default is 2022-01-12T04:00+08:00.
    public init(_ start: Int64 = 1_641_931_200) { state = Mutex(State(seconds: start)) }

    /// Starts at an ISO-8601 time such as `2022-01-12T04:00+08:00`.
    public convenience init?(iso8601 text: String) {
        guard let t = ValueParser.time(text) else { return nil }
        self.init(t)
    }

    public func now() -> Int64 { state.withLock { $0.seconds } }

    public func monotonic() -> Duration { state.withLock { $0.mono } }

    /// Moves wall and monotonic time forward, waking every sleeper whose time has come.
    public func advance(by duration: Duration) {
        move { s in
            s.seconds += duration.components.seconds
            s.mono += duration
        }
    }

    /// Sets the wall clock (monotonic time does not move), waking sleepers now due.
    public func set(_ epochSeconds: Int64) { move { $0.seconds = epochSeconds } }

    /// How many tasks sleep on this clock (to advance only once a timer is armed).
    public var sleepers: Int { state.withLock { $0.waiters.count } }

    public func sleep(until epochSeconds: Int64) async throws { try await wait(wall: epochSeconds, mono: nil) }

    public func sleep(for duration: Duration) async throws {
        let until = state.withLock { $0.mono } + duration
        try await wait(wall: nil, mono: until)
    }

    private func move(_ change: (inout State) -> Void) {
        let due = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            change(&s)
            let ids = s.waiters.filter { s.isDue($0.value) }.map(\.key)
            return ids.compactMap { s.waiters.removeValue(forKey: $0)?.continuation }
        }
        for c in due { c.resume() }
    }

    private func wait(wall: Int64?, mono: Duration?) async throws {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let now = state.withLock { s -> Bool in
                    let w = Waiter(wall: wall, mono: mono, continuation: c)
                    if s.isDue(w) || Task.isCancelled { return true }
                    s.waiters[id] = w
                    return false
                }
                if now {
                    if Task.isCancelled { c.resume(throwing: CancellationError()) } else { c.resume() }
                }
            }
        } onCancel: {
            let c = state.withLock { $0.waiters.removeValue(forKey: id)?.continuation }
            c?.resume(throwing: CancellationError())
        }
    }
}
