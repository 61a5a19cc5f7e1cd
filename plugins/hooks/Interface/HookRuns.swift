/// What became of the hook commands run for committed events, as the hooks service shares it
/// with other plugins (emergencies shows, on an incident's timeline, whether the key holder's
/// page went out). Offered by the `hooks` plugin while it runs.

/// The state of one hook's run for one event.
public struct HookRunSummary: Sendable, Equatable {
    /// The hook's name (`[[hooks]] name`).
    public var hook: String
    /// The event's name and journal sequence number.
    public var event: String
    public var seq: UInt64
    /// Attempts so far.
    public var attempts: Int
    /// `ok`, `failed`, `timeout` or `error` (the latest attempt; ` gave up` after the last one),
    /// `pending` (waiting for its first attempt or a retry) or `running`.
    public var outcome: String
    /// The exit status of the latest attempt, if it exited.
    public var exit: Int?
    /// When the latest attempt started (wall-clock seconds); for a run not yet attempted, when
    /// it was queued.
    public var at: Int64
    /// When a pending run's next attempt is due.
    public var nextAt: Int64?

    public init(hook: String, event: String, seq: UInt64, attempts: Int, outcome: String, exit: Int?, at: Int64, nextAt: Int64?) {
        self.hook = hook
        self.event = event
        self.seq = seq
        self.attempts = attempts
        self.outcome = outcome
        self.exit = exit
        self.at = at
        self.nextAt = nextAt
    }
}

/// The hook runs of committed events, read-only.
public protocol HookRuns: Sendable {
    /// For each event of these sequence numbers, one summary per hook that runs for it: the run
    /// still pending (or running), else its latest attempt among the last 1,000 kept. Events no
    /// hook ran for have none.
    func runs(seqs: [UInt64]) async -> [HookRunSummary]
}
