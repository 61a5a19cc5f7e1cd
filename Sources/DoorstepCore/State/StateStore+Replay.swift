import Dispatch
import Foundation
import Glibc
import PluginAPI
import Synchronization

extension StateStore {
    /// Consecutive journal records of one plugin, applied in one actor turn.
    struct ReplayBatch: Sendable {
        let plugin: any StatefulPlugin
        let events: [RecordedEvent]
        /// On a plugin's first batch of a segment: how many of its records the segment holds.
        var expected = 0
    }

    /// What reading the journal found.
    struct JournalScan: Sendable {
        var segments = 0
        var records = 0
        var lastSeq: UInt64 = 0
        var lastSeqByPlugin: [String: UInt64] = [:]
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
        let reader = Thread { [self] in
            do {
                let scan = try scanJournal(plugins: plugins, covered: covered) { batch in
                    slots.wait()
                    if stopped.load(ordering: .acquiring) { throw CancellationError() }
                    feed.yield(batch)
                }
                result.withLock { $0 = scan }
                feed.finish()
            } catch {
                feed.finish(throwing: error)
            }
        }
        reader.name = "doorstepd-replay"
        reader.start()
        do {
            for try await batch in batches {
                try await apply(batch)
                slots.signal()
            }
        } catch {
            // Wake the reader if it waits for a slot, so it sees the stop and ends.
            stopped.store(true, ordering: .releasing)
            for _ in 0...Self.replayReadAhead { slots.signal() }
            throw error
        }
        return result.withLock { $0 }!
    }

    /// Reads every segment in order, checking each record, calling `emit` with runs of one
    /// plugin's events; drops a torn final record (truncating the file) and refuses corruption.
    private func scanJournal(plugins: [String: any StatefulPlugin], covered: [String: UInt64],
                             emit: (ReplayBatch) throws -> Void) throws -> JournalScan {
        var scan = JournalScan()
        let segments = SegmentFile.list(journalDir)
        scan.segments = segments.count
        for (i, segment) in segments.enumerated() {
            let bytes = try FileSystem.readAll(segment.path)
            // Sizing hints (like Redis's RESIZEDB on load): counted from the record headers alone.
            var expected = bytes.withUnsafeBytes { JournalScanner.recordsByPlugin($0) }
            var run: (id: String, plugin: (any StatefulPlugin)?, covered: UInt64, last: UInt64, events: [RecordedEvent])?
            func closeRun() throws {
                guard let r = run else { return }
                run = nil
                scan.lastSeqByPlugin[r.id] = r.last
                if let plugin = r.plugin, !r.events.isEmpty {
                    try emit(ReplayBatch(plugin: plugin, events: r.events, expected: expected.removeValue(forKey: r.id) ?? 0))
                }
            }
            let result = try bytes.withUnsafeBytes { b in
                try JournalScanner.scan(b, file: segment.path, isLast: i == segments.count - 1, after: scan.lastSeq) { event in
                    if run?.id != event.plugin || run!.events.count >= Self.replayBatchLimit {
                        try closeRun()
                        run = (event.plugin, plugins[event.plugin], covered[event.plugin] ?? 0, 0, [])
                        run!.events.reserveCapacity(Self.replayBatchLimit)
                    }
                    run!.last = event.seq
                    if run!.plugin != nil, event.seq > run!.covered { run!.events.append(event) }
                }
            }
            try closeRun()
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
