/// A plugin's snapshot: `snapshots/PLUGIN.snap`, checksummed like journal records.
///
/// ```
/// "DSNAP002"  u64 covered  u64 cursor  u64 length  u32 crc32c(covered, cursor, length, payload)  payload
/// "DSNAP001"  u64 covered              u64 length  u32 crc32c(covered, length, payload)          payload
/// ```
/// `covered` is the journal position the state includes: replay applies the plugin's events
/// after it. `cursor` is how far the plugin's reactions had consumed other plugins' events
/// (version 1, written before reactions were durable, reads as 0). Both versions are read;
/// version 2 is written.
enum SnapshotFile {
    static let magic = Array("DSNAP002".utf8)
    static let magicV1 = Array("DSNAP001".utf8)

    /// A decoded snapshot.
    struct Contents: Equatable {
        var covered: UInt64
        var cursor: UInt64
        var payload: [UInt8]
    }

    struct Corrupt: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String {
            "snapshot \(path) is damaged (\(reason)). Run `doorstepd --repair` to move it aside and rebuild "
                + "from the journal, or restore a backup"
        }
    }

    static func path(_ dir: String, plugin: String) -> String { dir + "/" + plugin + ".snap" }

    static func encode(covered: UInt64, cursor: UInt64 = 0, payload: [UInt8]) -> [UInt8] {
        var header: [UInt8] = []
        JournalRecord.append(covered, to: &header)
        JournalRecord.append(cursor, to: &header)
        JournalRecord.append(UInt64(payload.count), to: &header)
        let crc = payload.withUnsafeBytes { CRC32C.checksum($0, continuing: CRC32C.checksum(header)) }
        var out = magic + header
        JournalRecord.append(crc, to: &out)
        return out + payload
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> Contents {
        let v2 = bytes.count >= 8 && Array(bytes[0..<8]) == magic
        guard v2 || (bytes.count >= 8 && Array(bytes[0..<8]) == magicV1) else { throw Corrupt(path: path, reason: "not a snapshot file") }
        // The fields between the magic and the checksum.
        let fields = v2 ? 24 : 16
        let headerSize = 8 + fields + 4
        guard bytes.count >= headerSize else { throw Corrupt(path: path, reason: "header cut short") }
        return try bytes.withUnsafeBytes { b in
            let covered = JournalRecord.readU64(b, 8)
            let cursor = v2 ? JournalRecord.readU64(b, 16) : 0
            let length = JournalRecord.readU64(b, 8 + fields - 8)
            let stored = JournalRecord.readU32(b, 8 + fields)
            guard length == UInt64(bytes.count - headerSize) else {
                throw Corrupt(path: path, reason: "length \(length) but \(bytes.count - headerSize) payload bytes")
            }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[headerSize...]),
                                      continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[8..<(8 + fields)])))
            guard crc == stored else { throw Corrupt(path: path, reason: "checksum mismatch") }
            return Contents(covered: covered, cursor: cursor, payload: Array(bytes[headerSize...]))
        }
    }
}
