import Foundation
import Glibc
import Logging
import PluginAPI
import NIOConcurrencyHelpers
import Synchronization

/// The append-only audit trail in `STATE_DIR/audit/audit.log`, with group commit.
///
/// ``append(_:)`` numbers a record and queues it; a writer thread takes everything queued,
/// writes it with one `write`, syncs once (unless `fsync = "off"`), sends each record to
/// journald (`DOORSTEP_AUDIT=1`) and wakes whoever waits (``waitDurable(_:)``). A failed
/// write does not stop the daemon: the change it records is already durable in the journal,
/// so the record is logged as lost, cut off the file, and the writer goes on.
final class AuditLog: @unchecked Sendable {
    let path: String
    let fsync: FsyncMode
    let logger: Logger

    // Guarded by `lock` (value 1 when there is work or a stop request).
    private let lock = ConditionLock(value: 0)
    private var queue: [AuditRecord] = []
    private var nextID: UInt64
    private var stopping = false

    // Owned by the writer thread.
    private var fd: Int32
    private var size: Int

    /// Every id up to this one is written (or was lost); and the bytes of whole records.
    private let progress: Mutex<(resolved: UInt64, end: Int)>
    private let waiters = Mutex<[(UInt64, CheckedContinuation<Void, Never>)]>([])
    private let stopped = ConditionLock(value: 0)
    private var closed = false
    private let users = Mutex<[UInt32: String]>([:])

    /// Opens (creating) the audit log under `stateDir`, cutting off a torn final record and
    /// moving a damaged log aside (docs/state.md).
    init(stateDir: String, fsync: FsyncMode, logger: Logger) throws {
        let dir = stateDir + "/audit"
        try FileIO.makeDirectories(dir, mode: 0o700)
        path = dir + "/audit.log"
        self.fsync = fsync
        self.logger = logger
        var lastID: UInt64 = 0
        var damaged: (file: String, offset: Int, reason: String)?
        if FileSystem.exists(path) {
            // Framing and checksums only: the log is never compacted, so this reads all of it.
            let stop = try AuditReader.records(in: path, decode: false) { _ in true }
            lastID = stop.lastID
            let fileSize = Int(FileSystem.size(path))
            if !stop.clean || stop.validEnd < fileSize {
                if try AuditReader.hasValidRecord(in: path, after: stop.validEnd, idAbove: stop.lastID) {
                    // Damage before the tail: keep the file for inspection, start a new one.
                    var maxID = lastID
                    _ = try? AuditReader.records(in: path) { maxID = max(maxID, $0.id); return true }
                    let aside = path + ".damaged-\(Int64(Glibc.time(nil)))"
                    guard rename(path, aside) == 0 else { throw FileSystem.Failure(operation: "rename", path: path, code: errno) }
                    try FileSystem.syncDirectory(dir)
                    damaged = (aside, stop.validEnd, stop.reason)
                    lastID = Self.highestID(in: aside, atLeast: maxID)
                } else {
                    guard truncate(path, off_t(stop.validEnd)) == 0 else {
                        throw FileSystem.Failure(operation: "truncate", path: path, code: errno)
                    }
                    logger.warning("audit log: cut off a torn final record", metadata: [
                        "file": "\(path)", "offset": "\(stop.validEnd)", "bytes": "\(fileSize - stop.validEnd)",
                        "reason": "\(stop.reason)", "message_id": "\(MessageID.tornTail)",
                    ])
                }
            }
        }
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystem.Failure(operation: "open", path: path, code: errno) }
        size = Int(FileSystem.size(path))
        nextID = lastID + 1
        progress = Mutex((lastID, size))
        try FileSystem.syncDirectory(dir)
        let thread = Thread { [self] in self.writerLoop() }
        thread.start()
        if let damaged {
            logger.critical("audit log damaged before its tail: moved aside, a new audit.log continues the ids", metadata: [
                "file": "\(damaged.file)", "offset": "\(damaged.offset)", "reason": "\(damaged.reason)",
                "message_id": "\(MessageID.corruption)",
            ])
            append(AuditRecord(timeMillis: Self.nowMillis(), uid: getuid(), user: Identity.userName(getuid()) ?? "?",
                               pid: getpid(), role: "admin", command: "audit.damaged", plugin: "core", kind: .change,
                               args: [("file", .string(damaged.file)), ("offset", .number(damaged.offset)),
                                      ("reason", .string(damaged.reason))],
                               bodyBytes: nil, code: 500, error: "internal_error"))
        }
    }

    /// The highest id of a damaged file (its valid records before and after the damage), so
    /// ids are never reused.
    private static func highestID(in path: String, atLeast floor: UInt64) -> UInt64 {
        guard let bytes = try? FileSystem.readAll(path) else { return floor }
        return bytes.withUnsafeBytes { b in
            var best = floor
            var o = 0
            while o + AuditFraming.headerSize <= b.count {
                if case .record(let r, let size) = AuditFraming.parse(b, at: o) {
                    best = max(best, r.id)
                    o += size
                } else {
                    o += 1
                }
            }
            return best
        }
    }

    static func nowMillis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// The user name of `uid`, looked up once (NSS may be slow; records are made on event loops).
    func userName(_ uid: UInt32) -> String {
        if let known = users.withLock({ $0[uid] }) { return known }
        let name = Identity.userName(uid) ?? "?"
        users.withLock { $0[uid] = name }
        return name
    }

    /// Numbers `record` and queues it for the writer; never blocks on I/O.
    @discardableResult
    func append(_ record: AuditRecord) -> UInt64 {
        lock.lock()
        var numbered = record
        numbered.id = nextID
        nextID += 1
        queue.append(numbered)
        let stop = stopping
        lock.unlock(withValue: 1)
        if stop { logger.error("audit record after stop", metadata: ["command": "\(record.command)"]) }
        return numbered.id
    }

    /// Returns once the record `id` is written and synced (or was lost and logged as such).
    func waitDurable(_ id: UInt64) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            if progress.withLock({ $0.resolved >= id }) { c.resume(); return }
            waiters.withLock { $0.append((id, c)) }
            release()
        }
    }

    /// Appends `record` and waits until it is durable: for replies that must not go out
    /// before their audit record is on disk.
    func record(_ record: AuditRecord) async { await waitDurable(append(record)) }

    /// The file's length in whole records written so far: a reader stops there, before any
    /// record the writer has not finished.
    var writtenEnd: Int { progress.withLock { $0.end } }

    /// The last id handed out.
    var lastID: UInt64 { lock.lock(); defer { lock.unlock() }; return nextID - 1 }

    private func release() {
        let resolved = progress.withLock { $0.resolved }
        let ready = waiters.withLock { list -> [CheckedContinuation<Void, Never>] in
            var done: [CheckedContinuation<Void, Never>] = []
            list.removeAll { entry in
                guard entry.0 <= resolved else { return false }
                done.append(entry.1)
                return true
            }
            return done
        }
        for c in ready { c.resume() }
    }

    /// Writes what is queued, then stops the writer thread. Idempotent.
    func stop() {
        lock.lock()
        stopping = true
        lock.unlock(withValue: 1)
        stopped.lock(whenValue: 1)
        let first = !closed
        closed = true
        stopped.unlock()
        if first { close(fd) }
    }

    private func writerLoop() {
        var buffer: [UInt8] = []
        while true {
            lock.lock(whenValue: 1)
            let batch = queue
            queue = []
            let exit = stopping && batch.isEmpty
            lock.unlock(withValue: stopping ? 1 : 0)
            if exit { break }
            if batch.isEmpty { continue }
            buffer.removeAll(keepingCapacity: true)
            for record in batch { AuditFraming.encode(record, into: &buffer) }
            let failure = write(buffer)
            if let failure {
                _ = ftruncate(fd, off_t(size))
                for record in batch { toJournald(record, lost: failure) }
            } else {
                size += buffer.count
                // Changes and refusals go to journald too; a read that was answered stays in
                // this file only: sending every operator's read there cost a third of the read
                // throughput (formatting and writing a log entry each, make bench).
                for record in batch where record.kind == .change || record.code >= 400 { toJournald(record, lost: nil) }
            }
            let last = batch[batch.count - 1].id
            progress.withLock { $0 = (last, size) }
            release()
        }
        release()
        stopped.lock()
        stopped.unlock(withValue: 1)
    }

    /// Writes and syncs `buffer`; the failure, if any.
    private func write(_ buffer: [UInt8]) -> String? {
        do throws(FileSystem.Failure) {
            try FileSystem.writeAll(fd, buffer, path: path)
        } catch {
            return error.description
        }
        if fsync == .always, fdatasync(fd) != 0 { return "fdatasync \(path): \(String(cString: strerror(errno)))" }
        return nil
    }

    /// The record as a journald entry: `DOORSTEP_AUDIT=1` and its fields as `DOORSTEP_*`
    /// (through the daemon's log handler; plain `audit=1 …` on stderr outside systemd).
    private func toJournald(_ r: AuditRecord, lost: String?) {
        var metadata: Logger.Metadata = [
            "audit": "1", "audit_id": "\(r.id)", "uid": "\(r.uid)", "user": "\(r.user)", "pid": "\(r.pid)",
            "role": "\(r.role)", "command": "\(r.command)", "plugin": "\(r.plugin)", "kind": "\(r.kind.rawValue)",
            "args": "\(JSON.object(r.args).serialized)", "code": "\(r.code)", "message_id": "\(MessageID.audit)",
        ]
        if let body = r.bodyBytes { metadata["body_bytes"] = "\(body)" }
        if let error = r.error { metadata["error"] = "\(error)" }
        if let lost {
            metadata["audit_lost"] = "1"
            metadata["write_error"] = "\(lost)"
            logger.critical("audit record NOT written to the audit log: \(r.command) by \(r.user) (uid \(r.uid)) → \(r.code)",
                            metadata: metadata)
        } else {
            logger.info("audit: \(r.command) by \(r.user) (uid \(r.uid)) → \(r.code)", metadata: metadata)
        }
    }
}
