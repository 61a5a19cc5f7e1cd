/// A plugin's snapshot: `snapshots/PLUGIN.snap`, checksummed like journal records.
///
/// ```
/// "DSNAP001"  u64 covered seq  u64 length  u32 crc32c(seq, length, payload)  payload
/// ```
/// `covered` is the journal position the state includes: replay applies the plugin's events
/// after it.
enum SnapshotFile {
    static let magic = Array("DSNAP001".utf8)
    static let headerSize = 8 + 8 + 8 + 4

    struct Corrupt: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String {
            "snapshot \(path) is damaged (\(reason)). Run `doorstepd --repair` to move it aside and rebuild "
                + "from the journal, or restore a backup"
        }
    }

    static func path(_ dir: String, plugin: String) -> String { dir + "/" + plugin + ".snap" }

    static func encode(covered: UInt64, payload: [UInt8]) -> [UInt8] {
        var out = magic
        JournalRecord.append(covered, to: &out)
        JournalRecord.append(UInt64(payload.count), to: &out)
        var crcInput: [UInt8] = []
        JournalRecord.append(covered, to: &crcInput)
        JournalRecord.append(UInt64(payload.count), to: &crcInput)
        let crc = payload.withUnsafeBytes { CRC32C.checksum($0, continuing: CRC32C.checksum(crcInput)) }
        JournalRecord.append(crc, to: &out)
        return out + payload
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> (covered: UInt64, payload: [UInt8]) {
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == magic else { throw Corrupt(path: path, reason: "not a snapshot file") }
        return try bytes.withUnsafeBytes { b in
            let covered = JournalRecord.readU64(b, 8)
            let length = JournalRecord.readU64(b, 16)
            let stored = JournalRecord.readU32(b, 24)
            guard length == UInt64(bytes.count - headerSize) else {
                throw Corrupt(path: path, reason: "length \(length) but \(bytes.count - headerSize) payload bytes")
            }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[headerSize...]),
                                      continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[8..<24])))
            guard crc == stored else { throw Corrupt(path: path, reason: "checksum mismatch") }
            return (covered, Array(bytes[headerSize...]))
        }
    }
}
