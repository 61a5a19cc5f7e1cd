import PluginAPI
import PluginSupport
import Synchronization

/// Feeds one running plugin's ``DoorstepPlugin/reactions`` from the journal, through the
/// plugin's cursor (``ReactionCursors``).
///
/// It subscribes to the hub before the plugin serves (nothing committed after that is missed),
/// reads what the journal holds between the cursor and that point, then handles live
/// deliveries; when deliveries were dropped (a burst larger than the feed's backlog) it reads
/// the gap from the journal again. Each event is handled once, in journal order, under a
/// ``ReactionScope`` so the handler's first record carries the event's position: a crash
/// between the source's commit and the reaction's leaves the cursor before the event, and the
/// restarted plugin handles it then.
final class ReactionRunner: Sendable {
    /// What `state.status` shows of one plugin's reactions.
    struct Status: Sendable {
        /// Events handled since the plugin started.
        var handled = 0
        /// The last handler failure, while it is being retried (nil once one succeeds).
        var failing: String?
        /// Retries of the event being handled.
        var retries = 0
    }

    let id: String
    let plugin: any DoorstepPlugin
    let patterns: [String]
    let store: StateStore
    let hub: EventHub
    let logger: Logger
    /// The community's zone now (it may change on reload).
    let zone: @Sendable () -> CommunityZone
    private let feed: (id: UInt64, position: UInt64, deliveries: AsyncStream<EventHub.Delivery>)
    private let statusBox = Mutex(Status())

    /// The first and longest wait before a failed handler is tried again.
    static let firstBackoff: Duration = .seconds(1)
    static let maxBackoff: Duration = .seconds(30)
    /// Events read from the journal at a time while catching up.
    static let chunk = 1_000

    /// Subscribes now (call before the plugin serves).
    init(id: String, plugin: any DoorstepPlugin, store: StateStore, hub: EventHub, logger: Logger,
         zone: @escaping @Sendable () -> CommunityZone) {
        self.zone = zone
        self.id = id
        self.plugin = plugin
        self.patterns = type(of: plugin).reactionPatterns
        self.store = store
        self.hub = hub
        self.logger = logger
        self.feed = hub.subscribeFeed(patterns)
        if store.ref.cursors.cursor(id) == nil { store.ref.cursors.set(id, 0) }
    }

    var status: Status { statusBox.withLock { $0 } }

    private var cursor: UInt64 { store.ref.cursors.cursor(id) ?? 0 }

    /// Handles events until the task is cancelled (the plugin stops).
    func run() async {
        defer { hub.remove(feed.id) }
        do {
            try await catchUp(through: feed.position)
            for await delivery in feed.deliveries {
                if delivery.after > EventPosition.recordsThrough(cursor) {
                    // Deliveries were dropped: the journal has what lies between.
                    try await catchUp(through: delivery.after)
                }
                for event in delivery.events where EventPosition.of(event) > cursor {
                    try await handle(event)
                }
                store.ref.cursors.advance(id, to: EventPosition.through(delivery.through))
            }
        } catch {
            // Cancelled: the plugin is stopping; the cursor says where its successor resumes.
        }
    }

    /// Handles what the journal holds after the cursor, up to record `through`.
    private func catchUp(through: UInt64) async throws {
        var after = EventPosition.recordsThrough(cursor)
        while after < through {
            try Task.checkCancellation()
            let read: (events: [Event], readThrough: UInt64)
            do {
                read = try store.committedEvents(after: after, through: through, patterns: patterns, limit: Self.chunk)
            } catch let gap as ReplayGap {
                if cursor == 0 {
                    // First run after compaction: only what is still in the journal can be read.
                    logger.notice("reactions start at the oldest event kept in the journal", metadata: [
                        "plugin.id": "\(id)", "oldest": "\(gap.oldest)"])
                } else {
                    logger.error("reactions skip events compacted away before this plugin consumed them", metadata: [
                        "plugin.id": "\(id)", "error": "\(gap)"])
                }
                store.ref.cursors.advance(id, to: EventPosition.through(gap.oldest - 1))
                after = gap.oldest - 1
                continue
            } catch {
                // A segment that cannot be read: retried like a failing handler.
                try await backoff("cannot read the journal: \(error)")
                continue
            }
            for event in read.events where EventPosition.of(event) > cursor { try await handle(event) }
            store.ref.cursors.advance(id, to: EventPosition.through(read.readThrough))
            after = read.readThrough
        }
    }

    /// Runs the plugin's handlers for `event` until they succeed, then moves the cursor past it.
    private func handle(_ event: Event) async throws {
        let position = EventPosition.of(event)
        while true {
            try Task.checkCancellation()
            do {
                try await ReactionScope.$source.withValue(.init(plugin: id, position: position)) {
                    try await CommunityZone.$current.withValue(zone()) { try await plugin.react(to: event) }
                }
                break
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                try await backoff("\(event.name) seq \(event.seq): \(error)")
            }
        }
        store.ref.cursors.advance(id, to: position)
        statusBox.withLock { s in
            s.handled += 1
            s.failing = nil
            s.retries = 0
        }
    }

    /// Notes a failure and waits before the next try (doubling, up to ``maxBackoff``).
    private func backoff(_ why: String) async throws {
        let retries = statusBox.withLock { s in
            s.failing = why
            s.retries += 1
            return s.retries
        }
        logger.error("reaction failed; retrying", metadata: ["plugin.id": "\(id)", "error": "\(why)", "retries": "\(retries)"])
        var wait = Self.firstBackoff
        for _ in 1..<min(retries, 6) { wait = min(wait * 2, Self.maxBackoff) }
        try await Task.sleep(for: wait)
    }
}
