import Glibc
import PluginAPI

/// Reads one journal segment's records in order through a window of bounded size, so a replay
/// (`subscribe … from=SEQ`, reactions catching up) holds about `window` bytes, not the whole
/// segment (64 MiB by default, per replaying connection).
///
/// Used only on a running daemon, for committed records: recovery and repair read whole
/// segments through ``JournalScanner`` and decide about torn tails and damage there. Here the
/// newest segment may be growing while it is read: a record cut short or not yet checksummed
/// at its end may be the writer's record in progress, and ends the read. The caller decides
/// whether that end came too early (``Stop``): before records it knows were committed.
enum SegmentReader {
    /// Bytes read per `pread` (a record larger than this grows the window to its size).
    static let window = 1 << 20

    /// Where and why a read ended.
    struct Stop {
        /// The last record's sequence number (`after` if none).
        var lastSeq: UInt64
        /// True at the file's end on a record boundary, or when `visit` asked to stop.
        var clean: Bool
        /// The byte offset of the first record not read, and why it was not.
        var offset: Int
        var reason: String
    }

    /// Calls `visit` for each record of `path` in order until it returns false or the valid
    /// records end.
    ///
    /// - Parameter after: the last sequence number before this segment: records must go on from it.
    /// - Throws: ``FileSystem/Failure`` when the file cannot be read; ``JournalCorruption``
    ///   when sequence numbers go backwards (a bug, not a torn write).
    @discardableResult
    static func records(in path: String, after: UInt64 = 0, window: Int = SegmentReader.window,
                        visit: (RecordedEvent) throws -> Bool) throws -> Stop {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystem.Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: window)
        var start = 0, end = 0
        var fileOffset = 0  // of buffer[0]
        var atEnd = false
        var last = after
        while true {
            let parsed = buffer.withUnsafeBytes { JournalRecord.parse(UnsafeRawBufferPointer(rebasing: $0[..<end]), at: start) }
            switch parsed {
            case .record(let record, let size):
                guard record.seq > last else {
                    throw JournalCorruption(file: path, offset: fileOffset + start, reason: "sequence \(record.seq) after \(last)")
                }
                last = record.seq
                start += size
                guard try visit(record) else { return Stop(lastSeq: last, clean: true, offset: fileOffset + start, reason: "") }
            case .invalid(let why):
                // A checksum over bytes still arriving, or damage: the caller knows which.
                return Stop(lastSeq: last, clean: false, offset: fileOffset + start, reason: why)
            case .truncated:
                if atEnd {
                    return Stop(lastSeq: last, clean: start == end, offset: fileOffset + start, reason: "record cut short")
                }
                // Keep the partial record, make room for the rest of it, read on.
                if start > 0 {
                    buffer.withUnsafeMutableBytes { b in
                        _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start)
                    }
                    fileOffset += start
                    end -= start
                    start = 0
                }
                if end >= JournalRecord.headerSize {
                    let needed = JournalRecord.headerSize
                        + Int(buffer.withUnsafeBytes { JournalRecord.readU32($0, 0) })
                    if needed > buffer.count { buffer += [UInt8](repeating: 0, count: needed - buffer.count) }
                }
                let n = try readSome(fd, into: &buffer, at: end, fileOffset: fileOffset + end, path: path)
                if n == 0 { atEnd = true }
                end += n
            }
        }
    }

    private static func readSome(_ fd: Int32, into buffer: inout [UInt8], at index: Int, fileOffset: Int,
                                 path: String) throws(FileSystem.Failure) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + index, $0.count - index, off_t(fileOffset)) }
            if n >= 0 { return n }
            if errno != EINTR { throw FileSystem.Failure(operation: "read", path: path, code: errno) }
        }
    }
}
