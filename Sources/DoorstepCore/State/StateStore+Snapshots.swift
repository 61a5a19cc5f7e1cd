import Glibc
import PluginAPI
import Synchronization

extension StateStore {
    /// Snapshots every given plugin, then removes the journal segments all snapshots include.
    ///
    /// A snapshot is installed only once the journal position it includes is durable, so a
    /// snapshot never contains a change that a failed write later takes back.
    ///
    /// - Parameter resetsCounters: false for a snapshot of some plugins only (the disabled
    ///   ones at start), which leaves the rest of the journal tail still to be snapshotted.
    func snapshotAll(_ plugins: [String: any StatefulPlugin], resetsCounters: Bool = true) async -> Result<SnapshotInfo, ControlError> {
        await exclusive.enter()
        defer { exclusive.leave() }
        let start = ContinuousClock.now
        var highest: UInt64 = 0
        var unchanged: [String] = []
        for (id, plugin) in plugins.sorted(by: { $0.key < $1.key }) {
            // Nothing recorded since its snapshot: the file on disk is already this state, and
            // it also includes everything up to now (read the position first: a record made
            // after it has a larger number, and then the plugin is not skipped next time).
            let now = journal.lastSeq
            let cursor = ref.cursors.cursor(id) ?? 0
            if let done = covered.withLock({ $0[id] }), done > 0, lastRecordedSeq(id) <= done,
                cursor == snapshotCursors.withLock({ $0[id] ?? 0 })
            {
                covered.withLock { $0[id] = max(done, now) }
                highest = max(highest, done, now)
                unchanged.append(id)
                continue
            }
            do {
                // A capture taken across a failed write may hold the refused change: skip it.
                let before = journal.failureState(id)
                if before.poisoned { continue }
                let (bytes, position, cursor) = try await plugin.captureSnapshot()
                await journal.waitDurable(position)
                let after = journal.failureState(id)
                guard after.count == before.count, !after.poisoned else {
                    logger.warning("snapshot skipped: a write failed while it was taken", metadata: ["plugin.id": "\(id)"])
                    continue
                }
                try FileSystem.writeAtomically(SnapshotFile.path(snapshotDir, plugin: id),
                                               SnapshotFile.encode(covered: position, cursor: cursor, payload: bytes))
                covered.withLock { $0[id] = position }
                snapshotCursors.withLock { $0[id] = cursor }
                highest = max(highest, position)
            } catch let error as FileSystem.Failure {
                logger.error("snapshot failed", metadata: ["plugin.id": "\(id)", "error": "\(error)"])
                return .failure(error.isNoSpace
                    ? .storageFull("snapshot of \(id) failed: \(error)") : .internalError("snapshot of \(id) failed: \(error)"))
            } catch {
                logger.error("snapshot failed", metadata: ["plugin.id": "\(id)", "error": "\(error)"])
                return .failure(.internalError("snapshot of \(id) failed: \(error)"))
            }
        }
        if resetsCounters { journal.resetSnapshotCounters() }
        removeCoveredSegments()
        let elapsed = ContinuousClock.now - start
        let info = SnapshotInfo(time: Int64(time(nil)), seq: highest,
                                millis: elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000,
                                plugins: plugins.count)
        lastSnapshot.withLock { $0 = info }
        logger.info("snapshot written", metadata: ["plugins": "\(plugins.count - unchanged.count)", "unchanged": "\(unchanged.joined(separator: ","))",
                                                   "seq": "\(highest)", "ms": "\(info.millis)"])
        return .success(info)
    }

    /// Deletes segments whose every record is included in every plugin's snapshot and
    /// consumed by every reacting plugin's cursor. The current segment is never deleted, a
    /// plugin with records but no snapshot keeps every segment, and a reacting plugin that is
    /// disabled keeps the segments after its cursor (it resumes there when enabled again).
    func removeCoveredSegments() {
        let floor = compactionFloor
        let segments = SegmentFile.list(journalDir)
        let current = journal.currentSegment
        var removed = 0
        for (i, segment) in segments.enumerated() where i + 1 < segments.count && segment.path != current {
            // Every record of a segment is below the next segment's first sequence number.
            guard segments[i + 1].firstSeq - 1 <= floor else { break }
            if unlink(segment.path) == 0 { removed += 1 }
        }
        if removed > 0 {
            try? FileSystem.syncDirectory(journalDir)
            logger.info("removed journal segments included in snapshots", metadata: ["segments": "\(removed)"])
        }
    }

    /// The journal position every segment wholly at or below may be removed.
    var compactionFloor: UInt64 {
        let known = pluginsWithRecords
        let coveredNow = covered.withLock { $0 }
        let snapshots = known.map { coveredNow[$0] ?? 0 }.min() ?? (coveredNow.values.min() ?? 0)
        return min(snapshots, reactionPin.map { EventPosition.recordsThrough($0.cursor) } ?? .max)
    }

    /// The reacting plugin whose cursor on disk is furthest behind, if any has one. A plugin
    /// that never ran has no cursor and pins nothing: enabled for the first time, it starts
    /// from the oldest event still in the journal.
    var reactionPin: (plugin: String, cursor: UInt64)? {
        let running = ref.cursors.all
        let onDisk = snapshotCursors.withLock { $0 }
        return reacting.withLock { $0 }.compactMap { id in running[id].map { _ in (id, onDisk[id] ?? 0) } }.min { $0.1 < $1.1 }
    }

    /// Snapshots in the background when the journal since the last one passes a threshold.
    func runSnapshotPolicy(plugins: @escaping @Sendable () -> [String: any StatefulPlugin]) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            let stats = journal.currentStats
            if stats.eventsSinceSnapshot >= settings.snapshotEveryEvents
                || stats.bytesSinceSnapshot >= Int64(settings.snapshotEveryBytes)
            {
                _ = await snapshotAll(plugins())
            }
        }
    }
}
