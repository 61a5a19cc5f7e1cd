import CSystemd
import Glibc

/// Talks to the service manager through `sd_notify` (a no-op without `NOTIFY_SOCKET`).
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Sends raw `KEY=VALUE` lines.
    public func send(_ lines: String...) {
        _ = sd_notify(0, lines.joined(separator: "\n"))
    }

    /// `READY=1` with a status line.
    public func ready(status: String) { send("READY=1", "STATUS=" + status) }

    /// A one-line `STATUS=`.
    public func status(_ text: String) { send("STATUS=" + text) }

    /// `RELOADING=1` with `MONOTONIC_USEC`, which systemd needs to match the reload.
    public func reloading() { send("RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())", "STATUS=reloading config") }

    /// `STOPPING=1`.
    public func stopping() { send("STOPPING=1", "STATUS=stopping: finishing in-flight requests") }

    /// `WATCHDOG=1`.
    public func watchdog() { send("WATCHDOG=1") }

    /// The watchdog period systemd asked for, if it applies to this process.
    public func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    /// CLOCK_MONOTONIC in microseconds.
    static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }
}
