public import PluginAPI
import PluginSupport
import Synchronization

/// A wall clock that moves only when a test says so.
public final class ManualClock: WallClock {
    private let seconds: Mutex<Int64>

    /// Starts at `start` (seconds since the epoch); the default is 2022-01-12T04:00+08:00.
    public init(_ start: Int64 = 1_641_931_200) { seconds = Mutex(start) }

    /// Starts at an ISO-8601 time such as `2022-01-12T04:00+08:00`.
    public convenience init?(iso8601 text: String) {
        guard let t = ValueParser.time(text) else { return nil }
        self.init(t)
    }

    public func now() -> Int64 { seconds.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by duration: Duration) { seconds.withLock { $0 += duration.components.seconds } }

    /// Sets the clock.
    public func set(_ epochSeconds: Int64) { seconds.withLock { $0 = epochSeconds } }
}
