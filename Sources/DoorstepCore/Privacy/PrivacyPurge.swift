import Glibc
import PluginAPI
import PluginSupport

/// Removes personal data older than a date from every purgeable plugin and from disk
/// (docs/state.md, "Purging"): the plugins record their purges, the journal rolls to a new
/// segment, every plugin is snapshotted atomically, and only then are the older segments
/// deleted. Used by `privacy.purge` and by the daily ``RetentionPolicy``.
struct PrivacyPurge {
    let host: PluginHost

    /// What a purge did.
    struct Outcome {
        /// Per plugin id, sorted: what was purged (or would be, in a dry run).
        var counts: [(plugin: String, counts: PurgeCounts)]
        var dryRun: Bool
        /// The journal position the new snapshots include (0 in a dry run).
        var snapshotSeq: UInt64 = 0
        var segmentsRemoved = 0
        /// Segments from before the purge still on disk (a reacting plugin has not consumed them).
        var segmentsKept = 0
        var heldBy: String?

        var total: Int { counts.reduce(0) { $0 + $1.counts.values.reduce(0, +) } }
    }

    /// The running plugins that hold personal data, by id.
    func purgeable() -> [(String, any PurgeablePlugin)] {
        host.statefulPlugins().compactMap { id, plugin in (plugin as? any PurgeablePlugin).map { (id, $0) } }
            .sorted { $0.0 < $1.0 }
    }

    func run(before: Int64, dryRun: Bool) async throws -> Outcome {
        guard let store = host.store else { throw ControlError.unavailable("the state store is not open") }
        let plugins = purgeable()
        var outcome = Outcome(counts: [], dryRun: dryRun)
        if dryRun {
            for (id, plugin) in plugins { outcome.counts.append((id, try await plugin.purge(before: before, dryRun: true))) }
            return outcome
        }
        let before0 = SegmentFile.list(store.journalDir)
        // Every record written so far goes into closed segments, which step 3 can delete.
        store.journal.startNewSegment()
        let firstPurgeSeq = store.journal.lastSeq + 1
        for (id, plugin) in plugins {
            // 1. One durable `privacy.purged` record per plugin that has something to remove.
            outcome.counts.append((id, try await plugin.purge(before: before, dryRun: false)))
        }
        // 2. Snapshots written atomically and synced (and 3. the segments they include removed,
        //    then the directory synced), exactly as a snapshot round does.
        switch await store.snapshotAll(host.statefulPlugins()) {
        case .success(let info): outcome.snapshotSeq = info.seq
        case .failure(let error): throw error
        }
        let after = Set(SegmentFile.list(store.journalDir).map(\.path))
        outcome.segmentsRemoved = before0.filter { !after.contains($0.path) }.count
        outcome.segmentsKept = before0.filter { after.contains($0.path) && $0.firstSeq < firstPurgeSeq && $0.path != store.journal.currentSegment }.count
        if outcome.segmentsKept > 0, let pin = store.reactionPin {
            outcome.heldBy = "\(pin.plugin) (consumed through seq \(EventPosition.recordsThrough(pin.cursor)))"
        }
        return outcome
    }

    /// The reply of `privacy.purge`.
    static func reply(_ o: Outcome, before: Int64) -> Reply {
        let plugins: JSON = .object(o.counts.map { id, counts in
            (id, .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) }))
        })
        let backups = "backups made before this purge (state.backup) still hold the data: delete or re-make them"
        let data: JSON = [
            "before": .string(ValueParser.iso8601(before)), "dry_run": .bool(o.dryRun), "plugins": plugins,
            "total": .number(o.total), "snapshot_seq": .number(o.snapshotSeq), "segments_removed": .number(o.segmentsRemoved),
            "segments_kept": .number(o.segmentsKept), "held_by": .optional(o.heldBy), "backups": .string(backups),
        ]
        let per = o.counts.map { id, counts in
            "\(id): " + (counts.isEmpty ? "nothing" : counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        if o.dryRun {
            return Reply(data: data, lines: per, message: "dry run: would purge \(o.total) records older than \(ValueParser.display(before)); nothing changed")
        }
        var lines = per
        lines.append("journal: \(o.segmentsRemoved) segments removed, snapshots up to seq \(o.snapshotSeq)")
        if o.segmentsKept > 0 {
            lines.append("\(o.segmentsKept) older segments kept: not yet consumed by \(o.heldBy ?? "a reaction"); run privacy.purge again later")
        }
        lines.append(backups)
        return Reply(data: data, lines: lines,
                     message: "purged \(o.total) records older than \(ValueParser.display(before)); \(backups)")
    }
}
