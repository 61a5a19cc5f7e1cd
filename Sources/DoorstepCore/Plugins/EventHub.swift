import Glibc
public import PluginAPI
import Synchronization

/// The daemon's event bus: what committed journal records announce, delivered to connections
/// (`subscribe`), to plugins' own subscriptions, and to the reaction runners.
///
/// The journal hands over every batch once it is durable (``deliver(_:)``), in sequence
/// order, under the hub's lock, so every subscriber sees events in `seq` order and never an
/// event whose change a failed write took back. Subscribers are async streams; one that falls
/// `backlog` events behind loses the oldest ones rather than growing the daemon's memory
/// without bound (it is told, see ``takeOverflow(_:)``; reaction runners then read the journal).
public final class EventHub: Sendable {
    struct Subscriber {
        var patterns: [String]
        let continuation: AsyncStream<Event>.Continuation
        var overflowed = false
        /// A connection's subscription: its queue is bounded in bytes as well.
        var backlog: Backlog?
    }

    /// What bounds a connection subscription's queue in bytes, and what happens past it.
    final class Backlog: Sendable {
        /// Bytes queued and not yet taken by the reader (``taken(_:)``).
        let queued = Atomic<Int>(0)
        let limit: Int
        /// Set by `subscribe … from=`: past the limit, events are skipped and read back from
        /// the journal later (the resumable contract); otherwise the connection is cut off.
        let resumable = Atomic<Bool>(false)
        /// Closes the connection with a reason (called once, under the hub's lock: it must
        /// only hand the work to the connection's event loop).
        let cutOff: @Sendable (String) -> Void

        init(limit: Int, cutOff: @escaping @Sendable (String) -> Void) {
            self.limit = limit
            self.cutOff = cutOff
        }

        /// The reader took `event` off the queue.
        func taken(_ event: Event) { queued.subtract(EventHub.weight(event), ordering: .relaxed) }
    }

    /// Roughly what an event costs queued: its encoded size, without encoding it (a walk of
    /// its data; a string's UTF-8 count is stored, so this is cheap for large events too).
    static func weight(_ event: Event) -> Int { 64 + event.name.utf8.count + weight(event.data) }

    private static func weight(_ json: JSON) -> Int {
        switch json {
        case .null, .bool, .int, .double: return 8
        case .string(let s): return s.utf8.count + 2
        case .raw(let s): return s.utf8.count
        case .array(let items): return items.reduce(2) { $0 + 1 + weight($1) }
        case .object(let pairs): return pairs.reduce(2) { $0 + $1.0.utf8.count + 4 + weight($1.1) }
        }
    }

    /// What a reaction feed receives for each durable batch.
    struct Delivery: Sendable {
        /// The batch's events matching the feed's patterns (possibly none).
        var events: [Event]
        /// The `through` of the previous delivery this feed was given: when it is past what the
        /// consumer has seen, deliveries were dropped and the journal has the rest.
        var after: UInt64
        /// The batch's last sequence number.
        var through: UInt64
    }

    struct Feed {
        let patterns: [String]
        let continuation: AsyncStream<Delivery>.Continuation
        var lastThrough: UInt64
    }

    struct State {
        var through: UInt64 = 0
        var nextID: UInt64 = 0
        var subscribers: [UInt64: Subscriber] = [:]
        var feeds: [UInt64: Feed] = [:]
    }

    /// Events a slow subscriber may have queued.
    public static let backlog = 10_000
    /// Batches a reaction feed may have queued before it falls back to reading the journal.
    static let feedBacklog = 4_096
    private let state = Mutex(State())
    /// Sees every event as it is delivered, under the hub's lock (in-process tests).
    let tap: (@Sendable (Event) -> Void)?

    public init(tap: (@Sendable (Event) -> Void)? = nil) {
        self.tap = tap
    }

    /// Sets the position delivery starts after (the journal's durable end once it is open).
    func resume(after seq: UInt64) { state.withLock { $0.through = max($0.through, seq) } }

    /// Delivers what a durable batch of journal records announces (the journal's writer calls this).
    func deliver(_ records: [RecordedEvent]) {
        guard let through = records.last?.seq else { return }
        var events: [Event] = []
        for record in records where !record.announced.isEmpty { events += AnnouncedEvents.of(record) }
        state.withLock { s in
            sweep(&s)
            s.through = max(s.through, through)
            for event in events {
                tap?(event)
                var weight: Int?
                for (id, sub) in s.subscribers where sub.patterns.contains(where: { EventPattern.matches($0, event.name) }) {
                    if let backlog = sub.backlog {
                        let w = weight ?? Self.weight(event)
                        weight = w
                        // An empty queue always takes the next event, however large.
                        let queued = backlog.queued.load(ordering: .relaxed)
                        if queued > 0, queued + w > backlog.limit {
                            if backlog.resumable.load(ordering: .relaxed) {
                                // Skipped; the pump reads it back from the journal.
                                s.subscribers[id]?.overflowed = true
                            } else {
                                // Not fed again: the connection is cut off, its queue freed.
                                s.subscribers.removeValue(forKey: id)
                                backlog.cutOff("this connection's subscription had \(backlog.queued.load(ordering: .relaxed)) bytes of events "
                                    + "queued, the limit is \(backlog.limit) (max_subscriber_backlog_bytes): it does not read its events; "
                                    + "closing (read faster, or subscribe again from=SEQ to resume without a gap)")
                            }
                            continue
                        }
                        backlog.queued.add(w, ordering: .relaxed)
                    }
                    // Marked in the same hold of the lock as the drop: the pump that sees the
                    // next event also sees the mark (and reads the journal for what was lost).
                    if case .dropped(let old) = sub.continuation.yield(event) {
                        s.subscribers[id]?.overflowed = true
                        sub.backlog?.taken(old)
                    }
                }
            }
            for (id, feed) in s.feeds {
                let mine = events.filter { e in feed.patterns.contains { EventPattern.matches($0, e.name) } }
                feed.continuation.yield(Delivery(events: mine, after: feed.lastThrough, through: through))
                s.feeds[id]?.lastThrough = through
            }
        }
    }

    /// Streams whose reader went away: recorded without the hub's lock, removed under it.
    ///
    /// `onTermination` runs while the reader's task is being cancelled, with that task's
    /// status lock held; feeding a stream (under the hub's lock) takes the same task lock to
    /// resume its reader. Had `onTermination` taken the hub's lock, the two would deadlock —
    /// and did: a plugin restarted on reload while the journal delivered a batch froze the
    /// daemon, event loops included.
    private let ended = Mutex<[UInt64]>([])

    private func ended(_ id: UInt64) { ended.withLock { $0.append(id) } }

    private func sweep(_ s: inout State) {
        for id in ended.withLock({ ids in defer { ids = [] }; return ids }) {
            s.subscribers.removeValue(forKey: id)
            s.feeds.removeValue(forKey: id)
        }
    }

    /// Subscriptions and feeds the hub still holds.
    var subscriberCount: Int { state.withLock { $0.subscribers.count + $0.feeds.count } }

    /// The last sequence number delivered (every event up to it has been handed out).
    public var lastSeq: UInt64 { state.withLock { $0.through } }

    /// A new subscription with `patterns` (possibly none yet).
    ///
    /// - Parameter backlog: for a connection, the bound of its queue in bytes; its reader
    ///   calls ``Backlog/taken(_:)`` for each event it takes.
    public func subscribe(_ patterns: [String]) -> (id: UInt64, events: AsyncStream<Event>) {
        subscribe(patterns, backlog: nil)
    }

    func subscribe(_ patterns: [String], backlog: Backlog?) -> (id: UInt64, events: AsyncStream<Event>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(Self.backlog))
        let id = state.withLock { s in
            sweep(&s)
            s.nextID += 1
            s.subscribers[s.nextID] = Subscriber(patterns: patterns, continuation: continuation, backlog: backlog)
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in self?.ended(id) }
        return (id, stream)
    }

    /// A reaction feed: from now on, one ``Delivery`` per durable batch. The first delivery's
    /// `after` is the position returned, so the consumer reads the journal up to it first.
    func subscribeFeed(_ patterns: [String]) -> (id: UInt64, position: UInt64, deliveries: AsyncStream<Delivery>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Delivery.self, bufferingPolicy: .bufferingNewest(Self.feedBacklog))
        let (id, position) = state.withLock { s in
            sweep(&s)
            s.nextID += 1
            s.feeds[s.nextID] = Feed(patterns: patterns, continuation: continuation, lastThrough: s.through)
            return (s.nextID, s.through)
        }
        continuation.onTermination = { [weak self] _ in self?.ended(id) }
        return (id, position, stream)
    }

    /// Replaces the patterns of subscription `id`.
    ///
    /// - Returns: the last sequence number delivered before the change: every event after it
    ///   that matches reaches the subscription (what `subscribe … from=` replays up to).
    @discardableResult
    func setPatterns(_ id: UInt64, _ patterns: [String]) -> UInt64 {
        state.withLock { s in
            s.subscribers[id]?.patterns = patterns
            return s.through
        }
    }

    /// Whether subscription `id` lost events since the last call (and clears the mark).
    func takeOverflow(_ id: UInt64) -> Bool {
        state.withLock { s in
            guard s.subscribers[id]?.overflowed == true else { return false }
            s.subscribers[id]?.overflowed = false
            return true
        }
    }

    /// Wakes subscription `id`'s reader with a marker event (empty name) so it looks at its
    /// session again (a replay asked for by `subscribe … from=`).
    func poke(_ id: UInt64) {
        state.withLock { s in _ = s.subscribers[id]?.continuation.yield(Event(name: "", seq: 0, time: 0, data: .null)) }
    }

    /// Ends subscription or feed `id`.
    func remove(_ id: UInt64) {
        let (sub, feed) = state.withLock { ($0.subscribers.removeValue(forKey: id), $0.feeds.removeValue(forKey: id)) }
        sub?.continuation.finish()
        feed?.continuation.finish()
    }
}

/// One plugin's view of the hub: publishes only in its namespace, through the journal; its
/// subscriptions end when the plugin stops.
final class PluginEventBus: EventBus {
    let pluginID: String
    /// The names it may publish start with this and a dot (usually the id).
    let namespace: String
    let hub: EventHub
    let ref: JournalRef
    let clock: any WallClock
    private let owned = Mutex<[UInt64]>([])

    init(pluginID: String, namespace: String? = nil, hub: EventHub, ref: JournalRef, clock: any WallClock) {
        self.pluginID = pluginID
        self.namespace = namespace ?? pluginID
        self.hub = hub
        self.ref = ref
        self.clock = clock
    }

    /// Records the event on its own (plugin `@id`, type `@event`, no state) and returns its
    /// sequence number; it is delivered once durable.
    func publish(_ name: String, _ data: JSON) throws(ControlError) -> UInt64 {
        var record = RecordedEvent(seq: 0, time: clock.now(), plugin: "@" + pluginID, type: "@event", version: 1, payload: [])
        record.announced = try PluginStateService.encode([Announcement(name, data)], of: pluginID, namespace: namespace)
        guard let journal = ref.journal else { throw .unavailable("the state store is not open; cannot publish \(name) yet") }
        do {
            return try journal.commit(record) { _ in }.event.seq
        } catch let error as ControlError {
            throw error
        } catch {
            throw .internalError("cannot publish \(name): \(error)")
        }
    }

    func subscribe(_ patterns: [String]) -> AsyncStream<Event> {
        let (id, stream) = hub.subscribe(patterns)
        owned.withLock { $0.append(id) }
        return stream
    }

    /// Ends every subscription the plugin made.
    func close() {
        for id in owned.withLock({ ids in defer { ids = [] }; return ids }) { hub.remove(id) }
    }
}
