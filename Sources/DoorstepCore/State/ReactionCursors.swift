import Synchronization

/// How far each plugin's reactions have consumed the journal: the ``EventPosition`` of the
/// last event each has handled (0: none yet).
///
/// Moved forward inside the journal's commit (a reaction's record carries the event it reacts
/// to, see ``JournalRecord``) and by the reaction runner once an event needed no change; read
/// back at start-up from snapshots and from those records, so it is as durable as the state.
final class ReactionCursors: Sendable {
    private let book = Mutex<[String: UInt64]>([:])

    /// The cursor of `plugin`, nil if it never had one.
    func cursor(_ plugin: String) -> UInt64? { book.withLock { $0[plugin] } }

    /// Moves `plugin`'s cursor forward to `seq` (never back).
    func advance(_ plugin: String, to seq: UInt64) {
        book.withLock { $0[plugin] = max($0[plugin] ?? 0, seq) }
    }

    /// Sets `plugin`'s cursor as read from disk (start-up, rebuilds).
    func set(_ plugin: String, _ seq: UInt64) { book.withLock { $0[plugin] = seq } }

    /// Every plugin's cursor.
    var all: [String: UInt64] { book.withLock { $0 } }
}

/// The event a reaction handler is handling, for the plugin state service to stamp on the
/// first record the handler makes (the exactly-once mark).
enum ReactionScope {
    struct Source: Sendable {
        let plugin: String
        /// The event's ``EventPosition``.
        let position: UInt64
    }

    @TaskLocal static var source: Source?
}
