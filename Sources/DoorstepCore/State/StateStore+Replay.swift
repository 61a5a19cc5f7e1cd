import Dispatch
import Foundation
import Glibc
import PluginAPI
import Synchronization

extension StateStore {
    /// Consecutive journal records of one plugin, applied in one actor turn.
    struct ReplayBatch: Sendable {
        let plugin: any StatefulPlugin
        var events: [RecordedEvent]
        /// On a plugin's first batch of a segment: how many of its records the segment holds.
        var expected = 0
    }

    /// What reading the journal found.
    struct JournalScan: Sendable {
        var segments = 0
        var records = 0
        var lastSeq: UInt64 = 0
        var lastSeqByPlugin: [String: UInt64] = [:]
        /// The largest reaction mark of each plugin's records (its reaction cursor, at least).
        var reactionByPlugin: [String: UInt64] = [:]
        /// The newest segment and where its valid records end (the journal appends there).
        var lastSegment: (path: String, size: Int)?
        /// A torn final record that was cut off.
        var torn: (file: String, offset: Int, bytes: Int)?
    }

    /// Events per batch: small enough that applying starts early, large enough that the hop to
    /// the plugin's actor is noise.
    static let replayBatchLimit = 8_192
    /// Batches read ahead of the appliers (bounds the memory replay holds).
    static let replayReadAhead = 16

    /// Reads the journal on a thread of its own and hands each batch to `apply` as soon as it is
    /// read, so reading and checking records overlaps applying them (replay uses both cores).
    ///
    /// Events at or below a plugin's `covered` position are in its snapshot and are skipped.
    /// - Throws: ``JournalCorruption``, a read failure, or what `apply` throws; reading stops then.
    func replayJournal(plugins: [String: any StatefulPlugin], covered: [String: UInt64],
                       apply: (ReplayBatch) async throws -> Void) async throws -> JournalScan {
        let (batches, feed) = AsyncThrowingStream.makeStream(of: ReplayBatch.self)
        let slots = DispatchSemaphore(value: Self.replayReadAhead)
        let stopped = Atomic<Bool>(false)
        let result = Mutex<JournalScan?>(nil)
        let exit = ReaderExit()
        // Applied batches go back to the reader to be freed: freeing a million records is
        // real work, and the applier is the critical path.
        let spent = Mutex<[[RecordedEvent]]>([])
        @Sendable func stop() {
            // Wake the reader if it waits for a slot, so it sees the stop and ends.
            stopped.store(true, ordering: .releasing)
            for _ in 0...Self.replayReadAhead { slots.signal() }
        }
        // The applier went away (an error, or its task was cancelled).
        feed.onTermination = { _ in stop() }
        let reader = Thread { [self] in
            do {
                let scan = try scanJournal(plugins: plugins, covered: covered, stopped: { stopped.load(ordering: .acquiring) }) { batch in
                    _ = spent.withLock { $0.removeAll() }
                    slots.wait()
                    if stopped.load(ordering: .acquiring) { throw CancellationError() }
                    feed.yield(batch)
                }
                result.withLock { $0 = scan }
                feed.finish()
            } catch {
                feed.finish(throwing: error)
            }
            exit.signal()
        }
        reader.name = "doorstepd-replay"
        reader.start()
        do {
            for try await batch in batches {
                try await apply(batch)
                spent.withLock { $0.append(batch.events) }
                slots.signal()
            }
        } catch {
            stop()
            await exit.wait()
            throw error
        }
        await exit.wait()
        // The stream also ends without a result when the task was cancelled.
        guard let scan = result.withLock({ $0 }) else { throw CancellationError() }
        return scan
    }

    /// Reads every segment in order, checking each record, calling `emit` with batches of one
    /// plugin's events (in journal order); drops a torn final record (truncating the file) and
    /// refuses corruption.
    private func scanJournal(plugins: [String: any StatefulPlugin], covered: [String: UInt64], stopped: () -> Bool,
                             emit: (ReplayBatch) throws -> Void) throws -> JournalScan {
        var scan = JournalScan()
        let segments = SegmentFile.list(journalDir)
        scan.segments = segments.count
        for (i, segment) in segments.enumerated() {
            if stopped() { throw CancellationError() }
            let bytes = try FileSystem.readAll(segment.path)
            // Sizing hints (like Redis's RESIZEDB on load): counted from the record framing alone.
            var expected = bytes.withUnsafeBytes { JournalScanner.recordsByPlugin($0, after: covered) }
            // Records are gathered per plugin over a window of `replayBatchLimit`, so a journal
            // that alternates between plugins still hands over big batches. Plugins are
            // independent: only each one's own order matters.
            var window: [String: ReplayBatch] = [:]
            var gathered = 0
            var run: (id: String, plugin: (any StatefulPlugin)?, covered: UInt64, last: UInt64, events: [RecordedEvent])?
            func park() {
                guard let r = run else { return }
                run = nil
                scan.lastSeqByPlugin[r.id] = r.last
                if let plugin = r.plugin, !r.events.isEmpty { window[r.id] = ReplayBatch(plugin: plugin, events: r.events) }
            }
            func flush() throws {
                park()
                for (id, var batch) in window {
                    batch.expected = expected.removeValue(forKey: id) ?? 0
                    try emit(batch)
                }
                window.removeAll(keepingCapacity: true)
                gathered = 0
            }
            let result = try bytes.withUnsafeBytes { b in
                try JournalScanner.scan(b, file: segment.path, isLast: i == segments.count - 1, after: scan.lastSeq) { event in
                    if run?.id != event.plugin {
                        park()
                        // Go on with what this plugin already has in the window.
                        var events = window.removeValue(forKey: event.plugin)?.events ?? []
                        if events.isEmpty { events.reserveCapacity(1024) }
                        run = (event.plugin, plugins[event.plugin], covered[event.plugin] ?? 0, 0, events)
                    }
                    run!.last = event.seq
                    if event.reaction != 0 { scan.reactionByPlugin[event.plugin] = max(scan.reactionByPlugin[event.plugin] ?? 0, event.reaction) }
                    if run!.plugin != nil, event.seq > run!.covered {
                        run!.events.append(event)
                        gathered += 1
                        if gathered >= Self.replayBatchLimit { try flush() }
                    }
                }
            }
            try flush()
            scan.records += result.records
            scan.lastSeq = max(scan.lastSeq, result.lastSeq)
            if result.tornBytes > 0 {
                guard truncate(segment.path, off_t(result.validEnd)) == 0 else {
                    throw FileSystem.Failure(operation: "truncate", path: segment.path, code: errno)
                }
                scan.torn = (segment.path, result.validEnd, result.tornBytes)
                logger.warning("dropped a torn final journal record", metadata: [
                    "file": "\(segment.path)", "offset": "\(result.validEnd)", "bytes": "\(result.tornBytes)",
                    "message_id": "\(MessageID.tornTail)",
                ])
            }
            if i == segments.count - 1 { scan.lastSegment = (segment.path, result.validEnd) }
        }
        return scan
    }
}

/// The replay reader's end, awaited so that start-up never returns (or throws) while the
/// reader thread still reads or truncates a segment.
final class ReaderExit: Sendable {
    private let state = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.done = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.done { return true }
                s.waiter = c
                return false
            }
            if done { c.resume() }
        }
    }
}
