import DoorstepCore
import DoorstepValues
import Foundation
import Logging
import NIOCore
import PostgresNIO
import ShipCore
import Synchronization

/// What one shipper ships, resolved from the config and the command line.
struct ShipPlan: Sendable {
    var url: DatabaseURL
    var password: String?
    var community: String
    var timezone: String
    var personal: Bool
    var batchSize: Int
    var events: [String]
    var socket: String
    var resumeFromOldest: Bool
}

/// Stops the shipper on SIGTERM/SIGINT: the stream is closed, what was read is committed.
final class Shutdown: Sendable {
    private let state = Mutex<(stopping: Bool, stream: DaemonStream?)>((false, nil))

    var stopping: Bool { state.withLock { $0.stopping } }

    func stop() {
        let stream = state.withLock { s in
            s.stopping = true
            return s.stream
        }
        stream?.close()
        // A batch that cannot finish (the database does not answer) must not hold the stop:
        // leaving without it is safe, PostgreSQL rolls an unfinished transaction back.
        DispatchQueue.global().asyncAfter(deadline: .now() + 10) { exit(0) }
    }

    /// The stream of the current session (nil after it): closed on stop.
    func current(_ stream: DaemonStream?) -> Bool {
        state.withLock { s in
            s.stream = stream
            return s.stopping
        }
    }
}

extension DaemonStream: @unchecked Sendable {}

/// The shipping loop: a session (daemon stream → batches → PostgreSQL) at a time, started
/// again with backoff when either side goes away.
final class Shipper: Sendable {
    let plan: ShipPlan
    let logger: Logger
    let shutdown: Shutdown
    let notifier = SystemdNotifier()
    /// Events written and sessions run, for the status line.
    private let counters = Mutex<(inserted: Int, batches: Int, cursor: UInt64, sessions: Int)>((0, 0, 0, 0))

    init(plan: ShipPlan, logger: Logger, shutdown: Shutdown) {
        self.plan = plan
        self.logger = logger
        self.shutdown = shutdown
    }

    /// Exit status: 0 after a stop, 78 when an operator must act (the message says what).
    func run() async -> Int32 {
        var backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(30))
        notifier.ready(status: "starting: \(plan.community) → \(plan.url)")
        logger.info("shipping community \(plan.community) from \(plan.socket) to \(plan.url)",
                    metadata: ["events": "\(plan.events.joined(separator: " "))", "personal": "\(plan.personal)", "batch_size": "\(plan.batchSize)"])
        while !shutdown.stopping {
            let started = ContinuousClock.now
            do {
                let ended = try await session()
                if shutdown.stopping { break }
                if ended == .gapRecorded { continue }
                logger.notice("the daemon closed the stream (restarting?); reconnecting")
            } catch let refusal as DaemonRefusal {
                logger.critical("\(refusal)")
                notifier.status("stopped: \(refusal)")
                return 78
            } catch {
                if shutdown.stopping { break }
                let text = describe(error)
                logger.warning("\(text); retrying in \(backoff.next)")
                notifier.status("retrying: \(text)")
            }
            // A session that ran a while was a success: the next retry starts quick again.
            if ContinuousClock.now - started > .seconds(10) { backoff.succeeded() }
            let delay = backoff.failed()
            let until = ContinuousClock.now + delay
            while ContinuousClock.now < until, !shutdown.stopping { try? await Task.sleep(for: .milliseconds(100)) }
        }
        let c = counters.withLock { $0 }
        logger.info("stopped", metadata: ["cursor": "\(c.cursor)", "inserted": "\(c.inserted)"])
        return 0
    }

    /// A failure as the journal shows it (one line per attempt; attempts are at most every 30 s).
    func describe(_ error: any Error) -> String {
        switch error {
        case let e as DistrictStore.SchemaProblem: return e.description
        case let e as PSQLError where e.code == .connectionError:
            return "cannot connect to the district database \(plan.url): " + (e.underlying.map { "\($0)" } ?? "\(e.code)")
        case is PSQLError, is PostgresTransactionError: return "the district database \(plan.url): " + DistrictStore.describe(error)
        case let e as IOError: return "the daemon's socket: \(e)"
        case let e as ChannelError: return "the daemon's socket: \(e)"
        default: return "\(error)"
        }
    }

    enum SessionEnd { case streamEnded, gapRecorded }

    /// One session: connect both sides, read the cursor, stream from it until one side ends.
    private func session() async throws -> SessionEnd {
        let daemon: DaemonStream
        do {
            daemon = try await DaemonStream.connect(path: plan.socket)
        } catch {
            throw ShipFailure.unexpected("cannot connect to the daemon at \(plan.socket): \(error)")
        }
        if shutdown.current(daemon) {
            daemon.close()
            return .streamEnded
        }
        defer { _ = shutdown.current(nil) }
        return try await daemon.channel.executeThenClose { inbound, outbound in
            var reader = LineReader(inbound)
            try await outbound.write(ByteBuffer(string: "hello proto=1 format=json client=doorstep-ship\n"))
            let hello = try await reader.reply(to: "hello")
            guard hello.ok else { throw StreamError.refused(request: "hello", reply: hello) }

            let store = try await DistrictStore.connect(plan.url, password: plan.password, community: plan.community, logger: logger)
            do {
                let plan = self.plan
                try await store.guarded { try await store.checkSchema(url: plan.url) }
                let cursor = try await store.guarded {
                    try await store.register(community: plan.community, timezone: plan.timezone, personal: plan.personal)
                }
                let from = Resume.from(cursor: cursor)
                try await outbound.write(ByteBuffer(string: "subscribe * from=\(from)\n"))
                let subscribed = try await reader.reply(to: "subscribe")
                if !subscribed.ok {
                    try await refused(subscribed, from: from, cursor: cursor, reader: &reader, outbound: outbound, store: store)
                    // A gap was recorded: the next session subscribes from the oldest kept.
                    await store.close()
                    return SessionEnd.gapRecorded
                }
                counters.withLock { $0.sessions += 1; $0.cursor = cursor }
                logger.info("streaming", metadata: ["from": "\(from)", "daemon_seq": "\(subscribed.data["seq"].map(\.plainText) ?? "?")"])
                notifier.status("shipping \(plan.community): cursor \(cursor)")
                try await stream(reader: &reader, store: store, daemon: daemon, cursor: cursor)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            return SessionEnd.streamEnded
        }
    }

    /// A refused `subscribe … from=`: the journal was compacted past the cursor (with
    /// `--resume-from-oldest`, the gap is recorded and the cursor moved), or the daemon is
    /// behind the district.
    private func refused(_ reply: StreamReply, from: UInt64, cursor: UInt64, reader: inout LineReader,
                         outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, store: DistrictStore) async throws {
        if reply.code == 404 {
            try await outbound.write(ByteBuffer(string: "state.status\n"))
            let status = try await reader.reply(to: "state.status")
            var oldest: UInt64?
            if case .int(let o)? = status.data["oldest_seq"], o > 0 { oldest = UInt64(o) }
            guard plan.resumeFromOldest, let oldest, oldest > from, oldest > cursor + 1 else {
                throw DaemonRefusal.compacted(community: plan.community, from: from, oldest: oldest, message: reply.message)
            }
            // The record at the cursor was shipped (all of it, but for a batch that ended in
            // its middle): the gap starts after it.
            let community = plan.community, first = cursor + 1
            try await store.guarded { try await store.recordGap(community: community, from: first, oldest: oldest) }
            logger.warning("events \(first)…\(oldest - 1) were compacted away before they were shipped; recorded in district.gaps, resuming at \(oldest)")
            return
        }
        if reply.code == 422, cursor > 0 {
            throw DaemonRefusal.behindDistrict(community: plan.community, cursor: cursor, message: reply.message)
        }
        throw StreamError.refused(request: "subscribe * from=\(from)", reply: reply)
    }

    /// Reads events into the queue while the writer commits batches, until the daemon closes
    /// the stream (the rest is written) or a side fails (nothing half-written: the next
    /// session starts from the cursor the database has).
    private func stream(reader: inout LineReader, store: DistrictStore, daemon: DaemonStream, cursor: UInt64) async throws {
        let queue = RowQueue(capacity: plan.batchSize * 4)
        var numbering = Numbering(patterns: plan.events, filter: PrivacyFilter(personal: plan.personal),
                                  after: Resume.numberingAfter(cursor: cursor))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await self.write(from: queue, store: store, cursor: cursor)
                } catch {
                    queue.end(error)
                    daemon.close()
                    throw error
                }
            }
            do {
                var items: [ShipItem] = []
                while let line = try await reader.next() {
                    let event: StreamEvent
                    switch try StreamLine.parse(line) {
                    case .event(let e): event = e
                    case .reply(let r): throw StreamError.malformed("a reply while streaming: \(r.code) \(r.error ?? "") \(r.message)")
                    }
                    if event.name.hasPrefix("daemon.") {
                        try control(event)
                        continue
                    }
                    items.append(ShipItem(seq: event.seq, row: try numbering.row(for: event)))
                    logger.trace("read", metadata: ["event": "\(event.name)", "seq": "\(event.seq)"])
                    if items.count >= plan.batchSize || !reader.hasBuffered {
                        try await queue.put(items)
                        items = []
                    }
                }
                try await queue.put(items)
                queue.end(nil)
            } catch {
                queue.end(error)
                // The writer's own failure closed the stream: its error is the one to report.
                try await group.waitForAll()
                throw error
            }
            try await group.waitForAll()
        }
    }

    /// `daemon.*` lines of the stream: the daemon gave up on this connection.
    private func control(_ event: StreamEvent) throws {
        let message = event.data["message"]?.plainText ?? ""
        if event.name == "daemon.events_lost" {
            var oldest: UInt64?
            if case .int(let o)? = event.data["oldest"] { oldest = UInt64(o) }
            throw DaemonRefusal.compacted(community: plan.community, from: event.seq, oldest: oldest, message: message)
        }
        throw ShipFailure.unexpected("the daemon ended the stream: \(event.name) \(message)")
    }

    /// Takes batches off the queue and commits each with the cursor.
    private func write(from queue: RowQueue, store: DistrictStore, cursor start: UInt64) async throws {
        var cursor = start
        while let items = try await queue.take(max: plan.batchSize) {
            guard let through = items.last?.seq, through != cursor || items.contains(where: { $0.row != nil }) else { continue }
            let rows = items.compactMap(\.row)
            logger.trace("writing", metadata: ["rows": "\(rows.count)", "through": "\(through)"])
            let (community, expected) = (plan.community, cursor)
            let inserted = try await store.guarded {
                try await store.write(community: community, rows: rows, expected: expected, through: through)
            }
            logger.trace("written", metadata: ["inserted": "\(inserted)"])
            cursor = through
            let c = counters.withLock { c in
                c.inserted += inserted
                c.batches += 1
                c.cursor = through
                return c
            }
            if c.batches % 200 == 1 {
                notifier.status("shipping \(plan.community): cursor \(through), \(c.inserted) events written")
                logger.debug("batch", metadata: ["rows": "\(rows.count)", "inserted": "\(inserted)", "cursor": "\(through)"])
            }
        }
    }
}
