import Foundation
import Glibc
import PluginAPI

/// Offline tools on a state directory: `--repair` and `--restore` (docs/state.md).
public enum StateRepair {
    /// Keeps every valid record and snapshot; moves damaged bytes aside to `FILE.broken`.
    ///
    /// - Returns: one line per thing dropped, or nothing when the state was sound.
    public static func repair(stateDir: String) throws -> [String] {
        try FileSystem.lockStateDirectory(stateDir)
        var report: [String] = []
        let journalDir = stateDir + "/journal"
        var last: UInt64 = 0
        for segment in SegmentFile.list(journalDir) {
            let bytes = try FileSystem.readAll(segment.path)
            var kept: [UInt8] = []
            var broken: [UInt8] = []
            var offset = 0
            var droppedRanges: [String] = []
            bytes.withUnsafeBytes { b in
                while offset < b.count {
                    if case .record(let event, let size) = JournalRecord.parse(b, at: offset), event.seq > last {
                        kept += b[offset..<(offset + size)]
                        last = event.seq
                        offset += size
                        continue
                    }
                    let next = JournalScanner.nextValidRecord(b, from: offset + 1, seqAbove: last) ?? b.count
                    broken += b[offset..<next]
                    droppedRanges.append("bytes \(offset)..<\(next) (\(next - offset) bytes)")
                    offset = next
                }
            }
            guard !broken.isEmpty else { continue }
            let aside = segment.path + ".broken"
            var previous = (try? FileSystem.readAll(aside)) ?? []
            previous += broken
            try FileSystem.writeAtomically(aside, previous)
            try FileSystem.writeAtomically(segment.path, kept)
            report.append("\(segment.path): kept \(kept.count) bytes of valid records; moved \(droppedRanges.joined(separator: ", ")) to \(aside)")
        }
        let snapshotDir = stateDir + "/snapshots"
        if let names = try? FileManager.default.contentsOfDirectory(atPath: snapshotDir) {
            for name in names.sorted() where name.hasSuffix(".snap") {
                let path = snapshotDir + "/" + name
                do {
                    _ = try SnapshotFile.decode(try FileSystem.readAll(path), path: path)
                } catch {
                    guard rename(path, path + ".broken") == 0 else {
                        throw FileSystem.Failure(operation: "rename", path: path, code: errno)
                    }
                    try FileSystem.syncDirectory(snapshotDir)
                    report.append("\(path): \(error); moved to \(path).broken. The plugin is rebuilt from the journal "
                        + "that remains: changes only the snapshot held (journal segments removed after it) are LOST; "
                        + "restore a backup if you have one")
                }
            }
        }
        return report
    }

    struct RestoreError: Error, CustomStringConvertible {
        let description: String
    }

    /// Restores a backup (a directory written by `state.backup dir=…`, or the text stream of
    /// `doorstepctl state.backup > FILE`) into an empty state directory.
    ///
    /// - Returns: what was restored.
    public static func restore(from source: String, into stateDir: String) throws -> String {
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: stateDir), !entries.isEmpty {
            throw RestoreError(description: "\(stateDir) is not empty; restore into a new or empty state directory")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw RestoreError(description: "\(source) does not exist")
        }
        var files: [BackupFile] = []
        var header: String
        if isDirectory.boolValue {
            header = String(decoding: try FileSystem.readAll(source + "/BACKUP"), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            for sub in ["snapshots", "journal"] {
                for name in ((try? FileManager.default.contentsOfDirectory(atPath: source + "/" + sub)) ?? []).sorted()
                where name.hasSuffix(".snap") || name.hasSuffix(".seg") {
                    files.append(BackupFile(name: sub + "/" + name, bytes: try FileSystem.readAll(source + "/" + sub + "/" + name)))
                }
            }
        } else {
            (header, files) = try parseStream(String(decoding: try FileSystem.readAll(source), as: UTF8.self))
        }
        guard header.hasPrefix("doorstep-backup 1 ") else {
            throw RestoreError(description: "\(source) is not a Doorstep backup (its first line is '\(header.prefix(40))')")
        }
        let fields = Dictionary(header.split(separator: " ").compactMap { part -> (String, String)? in
            let kv = part.split(separator: "=", maxSplits: 1)
            return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
        }, uniquingKeysWith: { $1 })
        guard let seq = fields["seq"].flatMap(UInt64.init), let count = fields["files"].flatMap(Int.init) else {
            throw RestoreError(description: "\(source): the backup header lacks seq= or files=")
        }
        guard count == files.count, count > 0 else {
            throw RestoreError(description: "\(source): the header announces \(count) files but the backup holds \(files.count)")
        }
        for file in files where file.name.hasSuffix(".snap") {
            let covered = try SnapshotFile.decode(file.bytes, path: file.name).covered
            guard covered <= seq else {
                throw RestoreError(description: "\(file.name) includes seq \(covered), past the backup's seq \(seq)")
            }
        }
        try FileIO.makeDirectories(stateDir + "/journal", mode: 0o700)
        try FileIO.makeDirectories(stateDir + "/snapshots", mode: 0o700)
        try FileSystem.lockStateDirectory(stateDir)
        for file in files { try FileSystem.writeAtomically(stateDir + "/" + file.name, file.bytes) }
        // The restored journal must open cleanly, as it will at start.
        var last: UInt64 = 0
        var records = 0
        let segments = SegmentFile.list(stateDir + "/journal")
        for (i, segment) in segments.enumerated() {
            let bytes = try FileSystem.readAll(segment.path)
            let result = try bytes.withUnsafeBytes { b in
                try JournalScanner.scan(b, file: segment.path, isLast: i == segments.count - 1, after: last) { _ in }
            }
            guard result.tornBytes == 0 else { throw RestoreError(description: "\(segment.path) in the backup ends in a torn record") }
            guard result.lastSeq <= seq else {
                throw RestoreError(description: "\(segment.path) holds seq \(result.lastSeq), past the backup's seq \(seq)")
            }
            last = result.lastSeq
            records += result.records
        }
        return "restored \(header) into \(stateDir): \(files.count) files, \(records) journal records"
    }

    static func parseStream(_ text: String) throws -> (String, [BackupFile]) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }[...]
        // `doorstepctl` prints data lines; a raw socket capture has `200-` prefixes: accept both.
        lines = lines.map { $0.hasPrefix("200-") ? String($0.dropFirst(4)) : $0 }[...]
        guard let header = lines.popFirst() else { throw RestoreError(description: "empty backup") }
        var files: [BackupFile] = []
        while let line = lines.popFirst() {
            if line == "end" || line.hasPrefix("200 ") { return (header, files) }
            let parts = line.split(separator: " ")
            guard parts.count == 4, parts[0] == "file", let size = Int(parts[2]), let crc = UInt32(parts[3]) else {
                throw RestoreError(description: "unexpected line in backup: '\(line.prefix(60))'")
            }
            var base64 = ""
            while let next = lines.first, !next.hasPrefix("file "), next != "end", !next.hasPrefix("200 ") {
                base64 += next
                lines.removeFirst()
            }
            guard let data = Data(base64Encoded: base64), data.count == size else {
                throw RestoreError(description: "\(parts[1]): damaged base64 or wrong size in the backup")
            }
            let bytes = Array(data)
            guard CRC32C.checksum(bytes) == crc else { throw RestoreError(description: "\(parts[1]): checksum mismatch in the backup") }
            let name = String(parts[1])
            guard name.hasPrefix("snapshots/") || name.hasPrefix("journal/"), !name.contains("..") else {
                throw RestoreError(description: "unexpected file name in backup: \(name)")
            }
            files.append(BackupFile(name: name, bytes: bytes))
        }
        throw RestoreError(description: "the backup is cut short (no 'end' line)")
    }
}
