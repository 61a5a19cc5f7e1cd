public import PluginSupport

/// When a timer fires.
public enum TimerSchedule: Sendable, Equatable {
    /// Once, after a monotonic delay.
    case after(Duration)
    /// Repeatedly, every interval of monotonic time (the first firing after one interval).
    case every(Duration)
    /// Once, at a wall-clock time (seconds since the epoch); at once if it has passed.
    case at(epochSeconds: Int64)
    /// Every day at a wall-clock time in the community's zone (`[daemon] timezone`), e.g. the
    /// nightly report upward at 20:00.
    case daily(hour: Int, minute: Int)

    /// The next firing of a ``daily(hour:minute:)`` schedule after `now` in `zone`.
    public static func nextDaily(hour: Int, minute: Int, in zone: CommunityZone, after now: Int64) -> Int64 {
        let local = now + Int64(zone.offset(at: now))
        var day = local - ((local % 86_400) + 86_400) % 86_400
        while true {
            let next = zone.instant(ofLocal: day + Int64(hour * 3600 + minute * 60))
            if next > now { return next }
            day += 86_400
        }
    }
}

/// Cancels a scheduled timer.
public struct TimerHandle: Sendable {
    private let cancelAction: @Sendable () -> Void

    public init(cancel: @escaping @Sendable () -> Void) { self.cancelAction = cancel }

    /// Stops the timer; a firing in progress completes.
    public func cancel() { cancelAction() }
}

/// Timers owned by one plugin; all are cancelled when the plugin stops.
public protocol TimerService: Sendable {
    /// Schedules `action`; `name` appears in logs.
    @discardableResult
    func schedule(_ name: String, _ schedule: TimerSchedule, _ action: @escaping @Sendable () async -> Void) -> TimerHandle

    /// A timer that survives restarts: at `epochSeconds` the host calls
    /// ``DoorstepPlugin/persistentTimerFired(_:)`` with `name`, once. Setting the same name
    /// again replaces it. A due time that passed while the daemon was down fires once at start.
    ///
    /// Returns once the timer is durable (it is a journal record).
    func persist(_ name: String, at epochSeconds: Int64) async throws

    /// Cancels a persistent timer (durably); unknown names are ignored.
    func cancelPersistent(_ name: String) async throws
}
