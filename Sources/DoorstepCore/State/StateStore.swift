import Glibc
import Logging
import PluginAPI
import Synchronization

/// The durable state of the daemon: one journal, a snapshot per plugin, recovery at start,
/// snapshots in the background, rebuilds after failed writes, backups and exports.
///
/// Layout under the state directory: `journal/SEQ.seg` and `snapshots/PLUGIN.snap`.
public final class StateStore: Sendable {
    let root: String
    let settings: StateSettings
    let logger: Logger
    let ref: JournalRef
    /// Per plugin, the journal position its snapshot on disk includes (0: none).
    let covered = Mutex<[String: UInt64]>([:])
    /// Plugins with records in the journal found at recovery, with the last sequence number of each.
    let recorded = Mutex<[String: UInt64]>([:])
    /// Plugins that declare reactions: the journal keeps what their cursors have not consumed.
    let reacting = Mutex<Set<String>>([])
    /// The reaction cursor in each plugin's snapshot file on disk: what a restart resumes from,
    /// so the journal keeps what lies after it (the cursor in memory may be ahead).
    let snapshotCursors = Mutex<[String: UInt64]>([:])
    /// Held while a snapshot round or a backup runs, so neither sees the other half done.
    let exclusive = AsyncGate()
    let lastSnapshot = Mutex<SnapshotInfo?>(nil)

    struct SnapshotInfo: Sendable {
        var time: Int64
        var seq: UInt64
        var millis: Int64
        var plugins: Int
    }

    var journalDir: String { root + "/journal" }
    var snapshotDir: String { root + "/snapshots" }
    var journal: Journal { ref.journal! }

    /// Where failures the daemon cannot go on from are reported.
    let fatal: FatalStop

    init(root: String, settings: StateSettings, logger: Logger, ref: JournalRef, fatal: FatalStop = FatalStop()) {
        self.fatal = fatal
        self.root = root
        self.settings = settings
        self.logger = logger
        self.ref = ref
    }

    /// What recovery found, for the log and `state.status`.
    struct Recovery: Sendable {
        var segments = 0
        var records = 0
        var replayed = 0
        var tornBytes = 0
        var tornFile: String?
        var tornOffset = 0
        var millis: Int64 = 0
        /// The last sequence number of each plugin's records in the journal.
        var lastSeqByPlugin: [String: UInt64] = [:]
    }

    /// Opens the state directory: recovers the journal (dropping a torn tail, refusing
    /// corruption), restores each stateful plugin's snapshot, replays the events after it,
    /// and starts the journal writer.
    func open(plugins: [String: any StatefulPlugin],
              onWriteFailure: @escaping @Sendable (Set<String>, @escaping @Sendable () -> Void) -> Void,
              onDurable: @escaping @Sendable ([RecordedEvent]) -> Void = { _ in }) async throws
        -> Recovery
    {
        let start = ContinuousClock.now
        try FileIO.makeDirectories(journalDir, mode: 0o700)
        try FileIO.makeDirectories(snapshotDir, mode: 0o700)
        var report = Recovery()
        var coveredByPlugin: [String: UInt64] = [:]
        for (id, plugin) in plugins {
            let snapshot = try readSnapshot(id)
            coveredByPlugin[id] = snapshot?.covered ?? 0
            if let snapshot { noteSnapshotCursor(id, snapshot.cursor) }
            try await plugin.restoreSnapshot(snapshot?.payload)
        }
        for id in try snapshotPluginIDs() where coveredByPlugin[id] == nil {
            let snapshot = try readSnapshot(id)
            coveredByPlugin[id] = snapshot?.covered ?? 0
            if let snapshot { noteSnapshotCursor(id, snapshot.cursor) }
        }
        covered.withLock { $0 = coveredByPlugin }

        var replayed = 0
        var replayedBytes: Int64 = 0
        let scan: JournalScan
        do {
            scan = try await replayJournal(plugins: plugins, covered: coveredByPlugin) { batch in
                if batch.expected > 0 { await batch.plugin.willReplay(count: batch.expected) }
                try await batch.plugin.applyAll(batch.events)
                replayed += batch.events.count
                replayedBytes += batch.events.reduce(0) { $0 + Int64($1.payload.count + $1.announced.count + $1.plugin.utf8.count + $1.type.utf8.count + JournalRecord.headerSize + JournalRecord.fixedBody) }
            }
        } catch let error as UnknownEventError {
            throw ReplayFailure(error: error, at: locate(seq: error.seq))
        }
        report.segments = scan.segments
        report.records = scan.records
        report.replayed = replayed
        report.lastSeqByPlugin = scan.lastSeqByPlugin
        if let torn = scan.torn { (report.tornFile, report.tornOffset, report.tornBytes) = (torn.file, torn.offset, torn.bytes) }
        let lastSeq = scan.lastSeq, lastSegment = scan.lastSegment
        recorded.withLock { $0 = scan.lastSeqByPlugin }
        for (id, seq) in scan.reactionByPlugin { ref.cursors.advance(id, to: seq) }
        let nextSeq = max(lastSeq, coveredByPlugin.values.max() ?? 0) + 1
        let journal = try Journal(directory: journalDir, lastSegment: lastSegment, nextSeq: nextSeq, fsync: settings.fsync,
                                  segmentBytes: settings.segmentBytes, logger: logger, fatal: fatal,
                                  onWriteFailure: onWriteFailure, onDurable: onDurable)
        // What start-up replayed is journal since the last snapshot on disk: counted, so a daemon
        // in a crash loop (whose counters would restart at 0 on every start) still snapshots,
        // soon after start when the tail is over the threshold, and start-up stops growing.
        journal.seedSnapshotCounters(events: replayed, bytes: replayedBytes)
        ref.set(journal)
        report.millis = Int64((ContinuousClock.now - start).components.seconds * 1000
            + (ContinuousClock.now - start).components.attoseconds / 1_000_000_000_000_000)
        return report
    }

    private func noteSnapshotCursor(_ id: String, _ cursor: UInt64) {
        guard cursor > 0 else { return }
        ref.cursors.set(id, cursor)
        snapshotCursors.withLock { $0[id] = cursor }
    }

    func readSnapshot(_ plugin: String) throws -> SnapshotFile.Contents? {
        let path = SnapshotFile.path(snapshotDir, plugin: plugin)
        guard FileSystem.exists(path) else { return nil }
        return try SnapshotFile.decode(try FileSystem.readAll(path), path: path)
    }

    func snapshotPluginIDs() throws -> [String] {
        guard let d = opendir(snapshotDir) else { return [] }
        defer { closedir(d) }
        var ids: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".snap") { ids.append(String(name.dropLast(5))) }
        }
        return ids
    }

    /// Every record of `plugin` after `after`, read from the durable journal.
    func records(of plugin: String?, after: UInt64, upTo: UInt64 = .max) throws -> [RecordedEvent] {
        var out: [RecordedEvent] = []
        try forEachRecord(upTo: upTo) { event in
            if event.seq > after, plugin == nil || event.plugin == plugin { out.append(event) }
        }
        return out
    }

    /// Visits the journal's records up to `upTo`, tolerating a partial record being appended.
    func forEachRecord(upTo: UInt64 = .max, _ visit: (RecordedEvent) throws -> Void) throws {
        var last: UInt64 = 0
        for segment in SegmentFile.list(journalDir) {
            let bytes = try FileSystem.readAll(segment.path)
            let result = try bytes.withUnsafeBytes { b in
                try JournalScanner.scan(b, file: segment.path, isLast: true, after: last) { event in
                    if event.seq <= upTo { try visit(event) }
                }
            }
            last = max(last, result.lastSeq)
        }
    }

    /// The segment and byte offset of the record `seq` (for error messages; a cold path).
    func locate(seq: UInt64) -> (file: String, offset: Int)? {
        for segment in SegmentFile.list(journalDir) {
            guard let bytes = try? FileSystem.readAll(segment.path) else { continue }
            let found: Int? = bytes.withUnsafeBytes { b in
                var offset = 0
                while offset < b.count, case .record(let event, let size) = JournalRecord.parse(b, at: offset) {
                    if event.seq == seq { return offset }
                    offset += size
                }
                return nil
            }
            if let found { return (segment.path, found) }
        }
        return nil
    }

    /// Rebuilds `plugin` from its snapshot and the durable journal: after a failed write, for
    /// a new instance (reload, enable), or a disabled plugin's records at start.
    ///
    /// - Parameter reason: what the log line says happened.
    func rebuild(_ id: String, _ plugin: any StatefulPlugin, reason: String) async throws {
        // Not while a snapshot round installs snapshots and removes segments under our feet.
        await exclusive.enter()
        defer { exclusive.leave() }
        let snapshot = try readSnapshot(id)
        let events = try records(of: id, after: snapshot?.covered ?? 0)
        do {
            try await plugin.rebuild(snapshot: snapshot?.payload, events: events)
        } catch let error as UnknownEventError {
            throw ReplayFailure(error: error, at: locate(seq: error.seq))
        }
        // A refused record may have moved the cursor: read it back from what is on disk.
        let cursor = events.reduce(snapshot?.cursor ?? 0) { max($0, $1.reaction) }
        if cursor > 0 || ref.cursors.cursor(id) != nil { ref.cursors.set(id, cursor) }
        logger.notice("plugin state \(reason)", metadata: ["plugin.id": "\(id)", "events": "\(events.count)"])
    }

    /// A journal handle for `plugin`.
    func service(for plugin: String, namespace: String? = nil, clock: any WallClock = SystemClock()) -> PluginStateService {
        PluginStateService(pluginID: plugin, namespace: namespace, ref: ref, clock: clock)
    }

    /// Plugins with records in the journal: found at recovery or recorded since. Records of
    /// events published on their own (plugin `@id`) belong to no state and are left out.
    var pluginsWithRecords: Set<String> {
        Set(recorded.withLock { $0.keys }).union(journal.recordedPlugins).filter { !$0.hasPrefix("@") }
    }

    /// The last sequence number `plugin` has in the journal (0: none).
    func lastRecordedSeq(_ plugin: String) -> UInt64 { max(journal.lastSeq(of: plugin), recorded.withLock { $0[plugin] ?? 0 }) }

    /// Bytes and count of segment files.
    /// When the journal was last fsynced (epoch seconds) and how long that took (µs); nil
    /// before the first, or with fsync off.
    var lastSync: (at: Double, micros: Int64)? {
        guard let stats = ref.journal?.currentStats, stats.lastSyncAt > 0 else { return nil }
        return (stats.lastSyncAt, stats.lastSyncMicros)
    }

    var journalSize: (bytes: Int64, segments: Int) {
        let segments = SegmentFile.list(journalDir)
        return (segments.reduce(0) { $0 + FileSystem.size($1.path) }, segments.count)
    }

    /// Writes the queue and stops the writer.
    func close() {
        ref.journal?.stop()
    }
}

/// A one-at-a-time gate for async code (snapshot rounds and backups).
final class AsyncGate: Sendable {
    private let state = Mutex<(busy: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func enter() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let go = state.withLock { s -> Bool in
                if !s.busy { s.busy = true; return true }
                s.waiters.append(c)
                return false
            }
            if go { c.resume() }
        }
    }

    func leave() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty { s.busy = false; return nil }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}

/// A journal record that start-up cannot apply, with where it is.
struct ReplayFailure: Error, CustomStringConvertible {
    let error: UnknownEventError
    let at: (file: String, offset: Int)?

    var description: String {
        let place = at.map { "\($0.file) at byte offset \($0.offset)" } ?? "the journal"
        return "cannot replay \(place): \(error)"
    }
}
