import Glibc

/// Time as a plugin reads it: from ``PluginContext/clock``, never from `Date()` or `time()`, so
/// tests can set it and run days of schedules in seconds (`PluginTesting`'s `ManualClock`).
///
/// Wall time (``now()``) is for dates: what is recorded and shown. Monotonic time
/// (``monotonic()``) is for durations: timeouts, backoffs, "every 10 minutes"; it never jumps
/// when the wall clock is set.
public protocol WallClock: Sendable {
    /// Seconds since the Unix epoch (UTC).
    func now() -> Int64
    /// Monotonic time since an arbitrary start.
    func monotonic() -> Duration
    /// Returns once the wall clock reads `epochSeconds` or later (at once if it has passed).
    ///
    /// - Throws: `CancellationError` when the task is cancelled.
    func sleep(until epochSeconds: Int64) async throws
    /// Returns after `duration` of monotonic time.
    ///
    /// - Throws: `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The system's clock.
public struct SystemClock: WallClock {
    private static let start = ContinuousClock.now

    public init() {}
    public func now() -> Int64 { Int64(time(nil)) }
    public func monotonic() -> Duration { ContinuousClock.now - Self.start }

    /// Sleeps in steps of at most a minute, so a change of the wall clock is noticed.
    public func sleep(until epochSeconds: Int64) async throws {
        while true {
            let now = now()
            if now >= epochSeconds { return }
            try await Task.sleep(for: .seconds(min(epochSeconds - now, 60)))
        }
    }

    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}
