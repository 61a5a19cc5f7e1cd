import Glibc
import PluginAPI
import PluginSupport
import Synchronization

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
        /// Plugins whose data this purge could not reach, with why (disabled, failed, hooks).
        var notReached: [(plugin: String, why: String)] = []

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
            outcome.notReached = notReached()
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
        // A snapshot round skips a plugin whose capture met a failed write: its old snapshot
        // (and the segments it needs) still hold what was purged. Say so rather than "purged".
        let stale = plugins.map(\.0).filter { id in (store.covered.withLock { $0[id] } ?? 0) < store.lastRecordedSeq(id) }
        if !stale.isEmpty {
            throw ControlError.unavailable("the purge is recorded, but the snapshot of \(stale.joined(separator: ", ")) was skipped "
                + "(a write failed while it was taken), so its old files still hold the data; free the disk or fix the "
                + "write error (state.status), then run privacy.purge again")
        }
        let after = Set(SegmentFile.list(store.journalDir).map(\.path))
        outcome.segmentsRemoved = before0.filter { !after.contains($0.path) }.count
        outcome.segmentsKept = before0.filter { after.contains($0.path) && $0.firstSeq < firstPurgeSeq && $0.path != store.journal.currentSegment }.count
        if outcome.segmentsKept > 0, let pin = store.reactionPin {
            outcome.heldBy = "\(pin.plugin) (consumed through seq \(EventPosition.recordsThrough(pin.cursor)))"
        }
        outcome.notReached = notReached()
        return outcome
    }

    /// Plugins holding personal data this purge does not reach: purgeable ones not running
    /// (their snapshots and segments keep it until they run and are purged), and hooks, whose
    /// pending runs keep their events until they run or give up.
    func notReached() -> [(plugin: String, why: String)] {
        var out: [(String, String)] = []
        for (type, state) in host.states() where type is any PurgeablePlugin.Type && state != .running {
            out.append((type.id, "not running (\(state)): its data is purged when it runs and privacy.purge is run again"))
        }
        if host.states().contains(where: { $0.type.id == "hooks" && $0.state == .running }) {
            out.append(("hooks", "runs still pending keep their events (with personal fields for personal = true hooks) until they run or give up"))
        }
        return out
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
            "not_reached": .object(o.notReached.map { ($0.plugin, .string($0.why)) }),
        ]
        let per = o.counts.map { id, counts in
            "\(id): " + (counts.isEmpty ? "nothing" : counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        let unreached = o.notReached.map { "not reached: \($0.plugin): \($0.why)" }
        if o.dryRun {
            return Reply(data: data, lines: per + unreached, message: "dry run: would purge \(o.total) records older than \(ValueParser.display(before)); nothing changed")
        }
        var lines = per
        lines.append("journal: \(o.segmentsRemoved) segments removed, snapshots up to seq \(o.snapshotSeq)")
        if o.segmentsKept > 0 {
            lines.append("\(o.segmentsKept) older segments kept: not yet consumed by \(o.heldBy ?? "a reaction"); run privacy.purge again later")
        }
        lines += unreached
        lines.append(backups)
        return Reply(data: data, lines: lines,
                     message: "purged \(o.total) records older than \(ValueParser.display(before)); \(backups)")
    }
}
