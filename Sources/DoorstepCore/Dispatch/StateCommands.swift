import Glibc
import PluginAPI
import PluginSupport
import Synchronization

/// `state.*`: the durable state's operator commands (docs/protocol.md §8).
struct StateCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("state.status", summary: "journal size, segments, snapshots, sequence, fsync mode, sync latency").zh("日志大小、段、快照、序号、fsync 模式与延迟"),
        CommandSpec("state.snapshot", summary: "snapshot every plugin now and drop covered journal segments", role: .operator, mutates: true).zh("立即为每个插件做快照并删除已覆盖的日志段"),
        CommandSpec("state.backup", summary: "consistent online backup: into dir=DIR, or streamed as text", role: .admin, arguments: [
            .named("dir", summary: "an empty or new directory the daemon may write"),
        ]),
        CommandSpec("state.export", summary: "durable events as JSON lines", role: .admin, arguments: [
            .named("plugin", summary: "only this plugin's events"),
            .named("after", .int(min: 0), summary: "only events after this sequence number"),
            .named("limit", .int(min: 1), summary: "at most this many events (default all)"),
        ]),
    ]

    let runtime: DaemonRuntime

    func run(_ request: Request) async throws -> Reply {
        guard let store = runtime.host.store else { throw ControlError.unavailable("the state store is not open") }
        switch request.command {
        case "state.status": return status(store)
        case "state.snapshot":
            switch await store.snapshotAll(runtime.host.statefulPlugins()) {
            case .success(let info):
                return Reply(data: ["seq": .number(info.seq), "plugins": .number(info.plugins), "millis": .number(info.millis)],
                             message: "snapshot of \(info.plugins) plugins up to seq \(info.seq) in \(info.millis) ms").zh("已为 \(info.plugins) 个插件做快照，截至序号 \(info.seq)，用时 \(info.millis) 毫秒")
            case .failure(let error): throw error
            }
        case "state.backup":
            if let dir = request.string("dir") {
                // Checked before anything is created: the C calls would stop at a NUL and
                // write somewhere else than asked.
                if dir.isEmpty || dir.utf8.contains(0) || dir.utf8.count > Int(PATH_MAX) - 32 {
                    throw ControlError.invalidArgument("dir: a directory path must be 1 to \(Int(PATH_MAX) - 32) bytes with no NUL byte")
                }
                let (seq, files, bytes) = try await store.backup(into: dir)
                return Reply(data: ["dir": .string(dir), "seq": .number(seq), "files": .number(files), "bytes": .number(bytes)],
                             message: "backup up to seq \(seq): \(files) files, \(bytes) bytes in \(dir)").zh("已备份至序号 \(seq)：\(files) 个文件，\(bytes) 字节，位于 \(dir)")
            }
            let (seq, lines) = try await store.backupLines()
            return Reply(data: ["seq": .number(seq), "lines": .array(lines.map(JSON.string))], lines: lines,
                         message: "backup up to seq \(seq)").zh("已备份至序号 \(seq)")
        case "state.export":
            let events = try store.export(plugin: request.string("plugin"), after: UInt64(try request.int("after") ?? 0),
                                          limit: try request.int("limit") ?? .max)
            return Reply(data: .array(events), lines: events.map(\.serialized), message: "\(events.count) events").zh("\(events.count) 个事件")
        default:
            throw ControlError.internalError("state command \(request.command) has no handler")
        }
    }

    private func status(_ store: StateStore) -> Reply {
        let journal = store.journal
        let stats = journal.currentStats
        let size = store.journalSize
        let snapshot = store.lastSnapshot.withLock { $0 }
        let covered = store.covered.withLock { $0 }
        let fsync = store.settings.fsync
        return Reply(data: [
            "dir": .string(store.root),
            "fsync": .string(fsync == .always ? "always" : "off (changes are NOT durable: tests and benchmarks only)"),
            "seq": .number(journal.lastSeq),
            "durable_seq": .number(stats.durableSeq),
            "journal_bytes": .number(size.bytes),
            "segments": .number(size.segments),
            "batches": .number(stats.batches),
            "last_sync_micros": .number(stats.lastSyncMicros),
            "events_since_snapshot": .number(stats.eventsSinceSnapshot),
            "write_failures": .number(stats.writeFailures),
            "last_write_error": .optional(stats.lastWriteError),
            "last_snapshot": snapshot.map { s -> JSON in
                ["time": .string(ValueParser.iso8601(s.time)), "seq": .number(s.seq), "millis": .number(s.millis)]
            } ?? .null,
            "snapshots": .object(covered.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) }),
            "reactions": .object(runtime.host.reactionStatus().sorted { $0.key < $1.key }.map { id, r in
                (id, ["seq": .number(EventPosition.recordsThrough(r.cursor)), "handled": .number(r.status.handled),
                      "failing": .optional(r.status.failing), "retries": .number(r.status.retries)])
            }),
            "oldest_seq": .number(store.oldestJournalSeq),
            "compaction_held_by": store.reactionPin.map { .string("\($0.plugin) (consumed through seq \(EventPosition.recordsThrough($0.cursor)))") } ?? .null,
        ])
    }
}
