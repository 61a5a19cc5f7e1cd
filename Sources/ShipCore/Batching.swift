public import DoorstepValues
import PluginAPI

/// One row of `district.events`.
public struct ShipRow: Sendable, Equatable {
    public var seq: UInt64
    /// The event's place among the events of its journal record (a record may announce
    /// several, all with the record's `seq`): `(community, seq, idx)` is the row's key.
    public var index: Int
    public var name: String
    /// RFC 3339, as the daemon sent it.
    public var time: String
    /// The data after the privacy filter, serialized.
    public var data: String
    /// Paths the privacy filter withheld.
    public var withheld: [String]

    public init(seq: UInt64, index: Int, name: String, time: String, data: String, withheld: [String]) {
        self.seq = seq
        self.index = index
        self.name = name
        self.time = time
        self.data = data
        self.withheld = withheld
    }
}

/// Turns the daemon's stream (`subscribe * from=…`: every event, in `seq` order) into rows.
///
/// The index of an event is counted among all the events of its record, before the `[ship]
/// events` patterns choose what is shipped, so a row's key never depends on the patterns of
/// the run that shipped it. Events of the record at the cursor are delivered again after a
/// restart (the cursor may have been written in the middle of a record): they get the same
/// keys, and the database keeps the first copy (`ON CONFLICT DO NOTHING`).
public struct Numbering: Sendable {
    public let patterns: [String]
    public let filter: PrivacyFilter
    private(set) public var lastSeq: UInt64
    private var nextIndex = 0

    /// - Parameter after: the last sequence number seen before this stream (none: 0).
    public init(patterns: [String], filter: PrivacyFilter, after: UInt64 = 0) {
        self.patterns = patterns
        self.filter = filter
        self.lastSeq = after
    }

    /// The row for `event`, or nil when the patterns do not ship it.
    public mutating func row(for event: StreamEvent) throws(StreamError) -> ShipRow? {
        if event.seq == lastSeq {
            nextIndex += 1
        } else if event.seq > lastSeq {
            lastSeq = event.seq
            nextIndex = 0
        } else {
            throw .outOfOrder(after: lastSeq, got: event.seq)
        }
        guard patterns.contains(where: { EventPattern.matches($0, event.name) }) else { return nil }
        let (data, withheld) = filter.filter(event.data)
        return ShipRow(seq: event.seq, index: nextIndex, name: event.name, time: event.time, data: data.serialized, withheld: withheld)
    }
}

/// Where to resume: the cursor is the last `seq` written to the database, possibly only part
/// of its record's events; the stream starts again at that record.
public enum Resume {
    /// `from=` for `subscribe`.
    public static func from(cursor: UInt64) -> UInt64 { max(cursor, 1) }

    /// The numbering's starting point: the record at the cursor is replayed from its first event.
    public static func numberingAfter(cursor: UInt64) -> UInt64 { cursor == 0 ? 0 : cursor - 1 }
}

/// Reconnection delays: doubling from `initial` to `maximum`, reset by a success.
public struct Backoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    private(set) public var next: Duration

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
        self.next = initial
    }

    /// The delay before the next attempt (and doubles the one after).
    public mutating func failed() -> Duration {
        let delay = next
        next = min(maximum, next * 2)
        return delay
    }

    public mutating func succeeded() { next = initial }
}
