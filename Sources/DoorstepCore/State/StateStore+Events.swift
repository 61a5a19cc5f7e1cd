import PluginAPI

/// The events a journal record announces (``RecordedEvent/announced``), as the bus delivers them.
enum AnnouncedEvents {
    /// The record's events, numbered with its sequence number; none if it announces none or the
    /// list cannot be read (it was written by this daemon, checksummed: a damaged one is a bug).
    static func of(_ record: RecordedEvent) -> [Event] {
        guard !record.announced.isEmpty, case .array(let items)? = try? JSON.parse(record.announced) else { return [] }
        return items.enumerated().compactMap { index, item in
            guard case .string(let name)? = item["name"] else { return nil }
            var event = Event(name: name, seq: record.seq, time: record.time, data: item["data"] ?? .null)
            event.index = index
            return event
        }
    }
}

/// A place in the stream of committed events, as one `UInt64`: the record's sequence number
/// times 256 plus the event's index in the record (a record announces at most 255 events).
/// Reaction cursors and the reaction mark on records are positions, so a reaction that
/// recorded for the first of a record's events still gets the others after a crash.
enum EventPosition {
    /// Records may announce at most this many events.
    static let maxPerRecord = 255

    static func of(_ event: Event) -> UInt64 { event.seq << 8 | UInt64(event.index) }

    /// Every event of record `seq` and before.
    static func through(_ seq: UInt64) -> UInt64 { seq << 8 | 0xFF }

    /// The last record every event of which is at or before `position`.
    static func recordsThrough(_ position: UInt64) -> UInt64 {
        let seq = position >> 8
        return position & 0xFF == 0xFF || seq == 0 ? seq : seq - 1
    }
}

/// Why committed events cannot be replayed from a position.
struct ReplayGap: Error, CustomStringConvertible {
    /// The position asked for.
    let after: UInt64
    /// The first sequence number still in the journal.
    let oldest: UInt64
    var description: String {
        "events after seq \(after) are no longer in the journal (compacted into snapshots; the oldest kept is \(oldest))"
    }
}

extension StateStore {
    /// The first sequence number the journal's segments still hold (what a replay can start from).
    var oldestJournalSeq: UInt64 { SegmentFile.list(journalDir).first?.firstSeq ?? 1 }

    /// Up to `limit` committed events with `after < seq <= through` whose name matches one of
    /// `patterns`, in journal order, read from the segments on disk (segments wholly at or below
    /// `after` are not read).
    ///
    /// - Returns: the events and the position read up to (`through`, or the last event's
    ///   sequence number when `limit` stopped the read: call again from there).
    /// - Throws: ``ReplayGap`` when records after `after` were compacted away; read errors.
    ///
    /// `maxBytes` bounds the chunk by the events' size as well (``EventHub/weight(_:)``): a
    /// replay to a reader that does not read must not hold a thousand large events.
    func committedEvents(after: UInt64, through: UInt64, patterns: [String], limit: Int = 10_000,
                         maxBytes: Int = .max, relists: Int = 2) throws
        -> (events: [Event], readThrough: UInt64)
    {
        var size = 0
        let segments = SegmentFile.list(journalDir)
        if let first = segments.first, first.firstSeq > after + 1 {
            throw ReplayGap(after: after, oldest: first.firstSeq)
        }
        var out: [Event] = []
        var lastSeq = segments.first.map { $0.firstSeq - 1 } ?? 0
        for (i, segment) in segments.enumerated() {
            let isLast = i + 1 == segments.count
            if !isLast, segments[i + 1].firstSeq - 1 <= after {
                lastSeq = segments[i + 1].firstSeq - 1
                continue
            }
            if segment.firstSeq > through { break }
            var full = false, beyond = false
            // Through a bounded window: a replaying connection holds about 1 MiB of journal,
            // not a whole segment (64 MiB by default).
            let stop = try SegmentReader.records(in: segment.path, after: lastSeq) { record in
                if record.seq > through { beyond = true; return false }
                guard record.seq > after, !record.announced.isEmpty else { return true }
                for event in AnnouncedEvents.of(record) where patterns.contains(where: { EventPattern.matches($0, event.name) }) {
                    out.append(event)
                    if maxBytes != .max { size += EventHub.weight(event) }
                }
                if out.count >= limit || size >= maxBytes { full = true }
                return !full
            }
            if full, let lastEvent = out.last { return (out, lastEvent.seq) }
            if beyond { return (out, through) }
            // A read that ended early skipped committed records: an older segment must end on a
            // record boundary, and the newest may end in the writer's record in progress only
            // after every record committed so far. Never skip them silently (a reaction's cursor
            // would move past events it never saw).
            if !stop.clean, !isLast || stop.lastSeq < through {
                throw JournalCorruption(file: segment.path, offset: stop.offset, reason: stop.reason)
            }
            lastSeq = stop.lastSeq
        }
        // The journal moved to a new segment after the list was taken: read on from there.
        // (At most `relists` times: a list that never changes must not loop.)
        if relists > 0, lastSeq < through, lastSeq >= after, out.count < limit, size < maxBytes,
            SegmentFile.list(journalDir).contains(where: { $0.firstSeq > lastSeq && $0.firstSeq <= through }) {
            let rest = try committedEvents(after: lastSeq, through: through, patterns: patterns, limit: limit - out.count,
                                           maxBytes: maxBytes == .max ? .max : maxBytes - size, relists: relists - 1)
            return (out + rest.events, rest.readThrough)
        }
        return (out, through)
    }
}
