import Glibc
import PluginAPI

/// One segment file of the journal: `journal/SEQ.seg`, named by its first sequence number.
struct SegmentFile: Sendable, Comparable {
    let path: String
    let firstSeq: UInt64

    static func < (a: SegmentFile, b: SegmentFile) -> Bool { a.firstSeq < b.firstSeq }

    static func name(firstSeq: UInt64) -> String {
        let digits = String(firstSeq)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    /// The segments in `dir`, oldest first.
    static func list(_ dir: String) -> [SegmentFile] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [SegmentFile] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasSuffix(".seg"), let seq = UInt64(name.dropLast(4)) else { continue }
            out.append(SegmentFile(path: dir + "/" + name, firstSeq: seq))
        }
        return out.sorted()
    }
}

/// Why a journal cannot be opened as it is.
struct JournalCorruption: Error, CustomStringConvertible {
    let file: String
    let offset: Int
    let reason: String

    var description: String {
        "journal corrupted in \(file) at byte offset \(offset) (\(reason)); records after it cannot be trusted. "
            + "Run `doorstepd --repair` with the same --config/--state-dir to keep every valid record and move the damaged bytes aside"
    }
}

/// Reads journal segments and tells a torn tail (a crash mid-append: dropped) from corruption
/// before the tail (refused).
enum JournalScanner {
    /// The outcome of scanning one segment.
    struct Result {
        var lastSeq: UInt64
        var records: Int
        /// End of the last valid record.
        var validEnd: Int
        /// Bytes after `validEnd` that are a torn final record.
        var tornBytes: Int
    }

    /// Scans `bytes`, calling `visit` for each valid record in order.
    ///
    /// - Parameters:
    ///   - isLast: whether this is the newest segment; only it may end in a torn record.
    ///   - after: the last sequence number before this segment.
    /// - Throws: ``JournalCorruption`` for damage that is not a torn tail.
    static func scan(_ bytes: UnsafeRawBufferPointer, file: String, isLast: Bool, after: UInt64,
                     visit: (RecordedEvent) throws -> Void) throws -> Result {
        var offset = 0
        var last = after
        var count = 0
        while offset < bytes.count {
            switch JournalRecord.parse(bytes, at: offset) {
            case .record(let event, let size):
                guard event.seq > last else {
                    throw JournalCorruption(file: file, offset: offset, reason: "sequence \(event.seq) after \(last)")
                }
                try visit(event)
                last = event.seq
                count += 1
                offset += size
            case .truncated, .invalid:
                let reason: String
                if case .invalid(let why) = JournalRecord.parse(bytes, at: offset) { reason = why } else { reason = "record cut short" }
                // A torn tail has nothing valid after it; anything valid later means damage.
                if isLast, !hasValidRecord(bytes, after: offset, seqAbove: last) {
                    return Result(lastSeq: last, records: count, validEnd: offset, tornBytes: bytes.count - offset)
                }
                throw JournalCorruption(file: file, offset: offset, reason: reason)
            }
        }
        return Result(lastSeq: last, records: count, validEnd: offset, tornBytes: 0)
    }

    /// How many records each plugin has in `bytes` after its `covered` position (the ones a
    /// replay applies), read from the framing alone (no checksums): a sizing hint, counted up
    /// to the first record whose length does not fit.
    static func recordsByPlugin(_ bytes: UnsafeRawBufferPointer, after covered: [String: UInt64] = [:]) -> [String: Int] {
        var counts: [String: Int] = [:]
        var o = 0
        while o + JournalRecord.headerSize < bytes.count {
            let length = Int(JournalRecord.readU32(bytes, o))
            let p = o + JournalRecord.headerSize + 8
            guard length >= JournalRecord.fixedBody, o + JournalRecord.headerSize + length <= bytes.count,
                p + 1 + Int(bytes[p]) <= bytes.count
            else { break }
            let plugin = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(p + 1)..<(p + 1 + Int(bytes[p]))]), as: UTF8.self)
            if JournalRecord.readU64(bytes, o + JournalRecord.headerSize) > covered[plugin] ?? 0 { counts[plugin, default: 0] += 1 }
            o += JournalRecord.headerSize + length
        }
        return counts
    }

    /// Whether a checksummed record with a larger sequence number starts after `offset`.
    static func hasValidRecord(_ bytes: UnsafeRawBufferPointer, after offset: Int, seqAbove: UInt64) -> Bool {
        nextValidRecord(bytes, from: offset + 1, seqAbove: seqAbove) != nil
    }

    /// The offset of the first valid record at or after `from`.
    static func nextValidRecord(_ bytes: UnsafeRawBufferPointer, from: Int, seqAbove: UInt64) -> Int? {
        var o = from
        while o + JournalRecord.headerSize <= bytes.count {
            if case .record(let event, _) = JournalRecord.parse(bytes, at: o), event.seq > seqAbove { return o }
            o += 1
        }
        return nil
    }
}
