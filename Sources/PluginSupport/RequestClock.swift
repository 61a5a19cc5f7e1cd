import Glibc

/// The host clock's reading for the request being served, so `at=now` means the same instant
/// as the handler's `context.clock.now()` (a manual clock in tests), and a time argument that
/// must not lie in the future is checked against it before the handler runs.
public enum RequestClock {
    /// Set by the host around each request it serves; nil outside one.
    @TaskLocal public static var now: Int64?

    /// ``now``, or the system's clock outside a request.
    public static var current: Int64 { now ?? Int64(time(nil)) }
}
