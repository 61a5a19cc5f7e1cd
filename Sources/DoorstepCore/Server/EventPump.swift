import Glibc
import PluginAPI
import PluginSupport
import DoorstepValues
import DoorstepProtocol

/// Writes one connection's events: live ones from its hub subscription and, after
/// `subscribe … from=SEQ`, the committed ones read back from the journal first.
///
/// A resumable connection (one that used `from=`) gets every matching event once, in `seq`
/// order, with no gap: live events the replay already wrote are skipped, and when its live
/// backlog overflowed the missing range is read from the journal again. A plain subscription
/// keeps the old contract (a reader too slow loses the oldest queued events).
struct EventPump {
    let session: Session
    let hub: EventHub
    let store: StateStore?
    /// The community's zone now: event times go out in it (RFC 3339 with its offset), as in
    /// replies. The pump runs outside any request, where the host sets no zone.
    let zone: @Sendable () -> CommunityZone
    /// What a viewer's subscription sees of an event (live and replayed alike): masked by the
    /// publishing plugin's sensitive fields; nil for an operator or admin.
    let mask: (@Sendable (Event) -> Event)?
    let write: (String) async throws -> Void

    /// Events read from the journal per chunk (the writes between chunks apply backpressure).
    static let chunk = 1_000

    /// Thrown after the connection was told that events it asked for are gone.
    struct Lost: Error {}

    func run(_ events: AsyncStream<Event>) async throws {
        // The position (``EventPosition``: sequence number and index in the record) of the last
        // event written, for a resumable connection. A position, not a sequence number: the
        // events one record announces share its `seq`, and skipping live events by `seq` alone
        // dropped every event of a record after its first.
        var written: UInt64 = 0
        do {
            for await event in events {
                let marker = event.name.isEmpty
                if !marker { session.backlog?.taken(event) }
                // A replay asked for goes first, even before its marker: live events can reach
                // the stream while the subscribe reply is still on its way.
                if marker || (session.resumable && (session.hasPendingReplay || hub.takeOverflow(session.subscriptionID))) {
                    written = try await catchUp(after: written)
                }
                if marker || (session.resumable && EventPosition.of(event) <= written) { continue }
                try await write(line(event))
                written = EventPosition.of(event)
            }
        } catch is Lost {
            throw CancellationError()
        }
    }

    private func line(_ event: Event) -> String {
        let event = mask?(event) ?? event
        return ReplyEncoder.event(name: event.name, seq: event.seq, time: ValueParser.iso8601(event.time, in: zone()),
                                  data: event.data, format: session.format)
    }

    /// Writes the replay asked for, or (after an overflow) what the journal holds past
    /// `written` (a position); returns the new position of the last event written.
    private func catchUp(after written: UInt64) async throws -> UInt64 {
        let replay = session.takeReplay()
        guard let store, replay != nil || session.resumable else { return written }
        // After an overflow the rest of the last record written may be lost too: it is read
        // again, and its events already written are skipped.
        var written = written
        var after = replay?.after ?? max(written >> 8, 1) - 1
        let through = replay?.through ?? hub.lastSeq
        let patterns = replay?.patterns ?? session.patterns
        while after < through {
            let read: (events: [Event], readThrough: UInt64)
            do {
                read = try store.committedEvents(after: after, through: through, patterns: patterns, limit: Self.chunk,
                                                 maxBytes: session.backlog?.limit ?? .max)
            } catch let gap as ReplayGap {
                try await write(ReplyEncoder.event(name: "daemon.events_lost", seq: after, time: ValueParser.iso8601(Int64(time(nil)), in: zone()),
                                                   data: ["after": .number(gap.after), "oldest": .number(gap.oldest),
                                                          "message": .string("\(gap); subscribe again from=\(gap.oldest)")],
                                                   format: session.format))
                throw Lost()
            }
            for event in read.events where EventPosition.of(event) > written {
                try await write(line(event))
                written = EventPosition.of(event)
            }
            after = read.readThrough
        }
        return max(written, EventPosition.through(through))
    }
}
