public import PluginAPI
import PluginSupport

/// The committed event a hook runs for, as kept in the hooks' state (its data as JSON text:
/// the journal and snapshots hold it byte for byte).
struct HookEvent: Sendable, Codable, Equatable {
    var name: String
    var seq: UInt64
    var index: Int
    var time: Int64
    var dataText: String

    init(_ event: Event) {
        name = event.name
        seq = event.seq
        index = event.index
        time = event.time
        var text = ""
        event.data.serialize(into: &text)
        dataText = text
    }

    var data: JSON { (try? JSON.parse(Array(dataText.utf8))) ?? .null }

    /// The event with its personal and health fields masked by the host's policy (nil: no
    /// policy offered, as in a test without a host: unchanged).
    func masked(by masking: (any EventMasking)?) -> HookEvent {
        guard let masking else { return self }
        var copy = self
        var text = ""
        masking.masked(name: name, data: data).serialize(into: &text)
        copy.dataText = text
        return copy
    }

    /// What the command reads on its standard input: the event as one JSON line.
    var stdinLine: String {
        var line = ""
        JSON.object([("name", .string(name)), ("seq", .number(Int(seq))), ("time", .string(ValueParser.iso8601(time))),
                     ("data", data)]).serialize(into: &line)
        return line + "\n"
    }
}

/// A hook run not yet done: waiting for its first attempt or for its next retry.
struct PendingRun: Sendable, Codable, Equatable {
    var id: UInt64
    var hook: String
    var event: HookEvent
    /// Attempts so far.
    var attempts = 0
    /// When the next attempt may start (wall-clock seconds).
    var nextAt: Int64
    /// How the last attempt ended.
    var lastError: String?
}

/// One attempt, as `hooks.runs` shows it.
struct RunRecord: Sendable, Codable, Equatable {
    var run: UInt64
    var hook: String
    var event: String
    var seq: UInt64
    var attempt: Int
    /// `ok`, `failed` (non-zero exit or killed), `timeout`, `error` (could not start, bad
    /// event), each possibly followed by ` gave up`.
    var outcome: String
    var exit: Int?
    var signal: Int?
    var output: [String]
    var started: Int64
    var ms: Int
    var gaveUp: Bool
    var nextAt: Int64?
}

/// What the hooks service keeps: runs to do and the latest attempts.
struct HooksState: Sendable, Codable, Equatable {
    var pending: [UInt64: PendingRun] = [:]
    var recent: [RunRecord] = []
    var nextRun: UInt64 = 1
    /// When each hook (by name) first saw an event: older events never run it, so a hook added
    /// to the config does not page for what happened before it existed.
    var activated: [String: Int64] = [:]
    var ok = 0
    var failed = 0
    var gaveUp = 0

    /// Attempts `hooks.runs` can show.
    static let recentLimit = 1_000

    /// A committed event matched hooks: one run each, due now.
    struct Queued: StateEvent {
        static let eventType = "queued"
        static let schemaVersion = 1
        var hooks: [String]
        var event: HookEvent
        /// Hooks seen for the first time with this event, and when.
        var activate: [String: Int64]?
    }

    /// Hooks seen for the first time with an event too old to run them.
    struct Activated: StateEvent {
        static let eventType = "activated"
        static let schemaVersion = 1
        var hooks: [String: Int64]
    }

    /// An attempt ended (`nextAt` nil: the run is done, by success or by giving up).
    struct Attempted: StateEvent {
        static let eventType = "attempt"
        static let schemaVersion = 1
        var record: RunRecord
    }

    static let events = EventHandlers<HooksState>(
        .on(Activated.self) { state, activated, _ in state.activated.merge(activated.hooks) { old, _ in old } },
        .on(Queued.self) { state, queued, recorded in
            state.activated.merge(queued.activate ?? [:]) { old, _ in old }
            for hook in queued.hooks {
                state.pending[state.nextRun] = PendingRun(id: state.nextRun, hook: hook, event: queued.event, nextAt: recorded.time)
                state.nextRun += 1
            }
        },
        .on(Attempted.self) { state, attempted, _ in state.note(attempted.record) }
    )

    mutating func apply(_ event: RecordedEvent) throws { try Self.events.apply(event, to: &self) }

    mutating func note(_ r: RunRecord) {
        if r.outcome == "ok" { ok += 1 } else { failed += 1 }
        if r.gaveUp { gaveUp += 1 }
        if let next = r.nextAt, var run = pending[r.run] {
            run.attempts = r.attempt
            run.nextAt = next
            run.lastError = r.outcome + (r.output.first.map { ": " + $0 } ?? "")
            pending[r.run] = run
        } else {
            pending.removeValue(forKey: r.run)
        }
        recent.append(r)
        if recent.count > Self.recentLimit { recent.removeFirst(recent.count - Self.recentLimit) }
    }
}
