import Glibc

/// Wall-clock time as a plugin reads it: from ``PluginContext/clock``, never from `Date()`,
/// so tests can set the time (`PluginTesting`'s `ManualClock`).
public protocol WallClock: Sendable {
    /// Seconds since the Unix epoch (UTC).
    func now() -> Int64
}

/// The system's clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Int64 { Int64(time(nil)) }
}
