import Foundation
import Glibc
import PluginAPI
import PluginSupport

/// A consistent copy of the state up to one sequence number: the snapshots and the journal
/// records they do not include, cut at that number. As a directory (same layout as a state
/// directory, plus `BACKUP`) or as a text stream that survives `doorstepctl state.backup > file`:
///
/// ```
/// doorstep-backup 1 seq=S time=T files=N
/// file snapshots/probe.snap BYTES CRC32C
/// <base64, 76 characters a line>
/// …
/// end
/// ```
struct BackupFile: Sendable {
    let name: String
    let bytes: [UInt8]
}

extension StateStore {
    /// Collects the backup files at the current durable position.
    func collectBackup() async throws -> (seq: UInt64, files: [BackupFile]) {
        await exclusive.enter()
        defer { exclusive.leave() }
        let seq = journal.lastSeq
        await journal.waitDurable(seq)
        var files: [BackupFile] = []
        for id in try snapshotPluginIDs().sorted() {
            files.append(BackupFile(name: "snapshots/\(id).snap", bytes: try FileSystem.readAll(SnapshotFile.path(snapshotDir, plugin: id))))
        }
        var last: UInt64 = 0
        for segment in SegmentFile.list(journalDir) where segment.firstSeq <= seq {
            let bytes = try FileSystem.readAll(segment.path)
            // Cut after the last record at or below `seq`: later ones are not in this backup.
            var cut = 0
            let result = try bytes.withUnsafeBytes { b in
                try JournalScanner.scan(b, file: segment.path, isLast: true, after: last) { _ in }
            }
            try bytes.withUnsafeBytes { b in
                var offset = 0
                while offset < result.validEnd, case .record(let event, let size) = JournalRecord.parse(b, at: offset), event.seq <= seq {
                    offset += size
                }
                cut = offset
            }
            last = result.lastSeq
            files.append(BackupFile(name: "journal/" + SegmentFile.name(firstSeq: segment.firstSeq), bytes: Array(bytes[..<cut])))
        }
        return (seq, files)
    }

    /// Writes a backup into `dir` (created; must not exist or be empty).
    func backup(into dir: String) async throws -> (seq: UInt64, files: Int, bytes: Int) {
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: dir), !entries.isEmpty {
            throw ControlError.conflict("\(dir) is not empty; back up into a new or empty directory")
        }
        let (seq, files) = try await collectBackup()
        let existed = FileSystem.exists(dir)
        // A backup that fails half-way (a full disk) leaves nothing that looks like one.
        func undo() {
            for file in files { unlink(dir + "/" + file.name) }
            unlink(dir + "/BACKUP")
            rmdir(dir + "/journal")
            rmdir(dir + "/snapshots")
            if !existed { rmdir(dir) }
        }
        do {
            try FileIO.makeDirectories(dir + "/journal", mode: 0o700)
            try FileIO.makeDirectories(dir + "/snapshots", mode: 0o700)
            // A backup holds every name, phone and note: only its owner may enter, also when
            // DIR existed (empty) with a wider mode.
            for d in [dir, dir + "/journal", dir + "/snapshots"] where chmod(d, 0o700) != 0 {
                throw FileSystem.Failure(operation: "chmod", path: d, code: errno)
            }
        } catch {
            undo()
            throw ControlError.invalidArgument("dir: cannot create \(dir): \(error)")
        }
        do {
            for file in files { try FileSystem.writeAtomically(dir + "/" + file.name, file.bytes) }
            try FileSystem.writeAtomically(dir + "/BACKUP", Array(Self.backupHeader(seq: seq, files: files.count).utf8) + [0x0A])
        } catch {
            undo()
            throw error
        }
        return (seq, files.count, files.reduce(0) { $0 + $1.bytes.count })
    }

    static func backupHeader(seq: UInt64, files: Int) -> String {
        "doorstep-backup 1 seq=\(seq) time=\(ValueParser.iso8601(Int64(time(nil)))) files=\(files)"
    }

    /// The backup as text lines for streaming to the client.
    func backupLines() async throws -> (seq: UInt64, lines: [String]) {
        let (seq, files) = try await collectBackup()
        var lines = [Self.backupHeader(seq: seq, files: files.count)]
        for file in files {
            lines.append("file \(file.name) \(file.bytes.count) \(CRC32C.checksum(file.bytes))")
            let text = Data(file.bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
            lines += text.split(separator: "\n").map(String.init)
        }
        lines.append("end")
        return (seq, lines)
    }
}
