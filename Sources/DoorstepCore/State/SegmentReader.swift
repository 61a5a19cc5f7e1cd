import Glibc
import PluginAPI

/// Reads one journal segment's records in order through a window of bounded size, so a replay
/// (`subscribe … from=SEQ`, reactions catching up) holds about `window` bytes, not the whole
/// segment (64 MiB by default, per replaying connection).
///
/// Used only on a running daemon, for committed records: recovery and repair read whole
/// segments through ``JournalScanner`` and decide about torn tails and damage there. Here the
/// newest segment may be growing while it is read; a record cut short or not yet checksummed
/// at the end is the writer's record in progress, never committed, and ends the read.
enum SegmentReader {
    /// Bytes read per `pread` (a record larger than this grows the window to its size).
    static let window = 1 << 20

    /// Calls `visit` for each record of `path` in order until it returns false or the valid
    /// records end.
    ///
    /// - Throws: ``FileSystem/Failure`` when the file cannot be read; ``JournalCorruption``
    ///   when sequence numbers go backwards (a bug, not a torn write).
    static func records(in path: String, window: Int = SegmentReader.window,
                        visit: (RecordedEvent) throws -> Bool) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystem.Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: window)
        var start = 0, end = 0
        var fileOffset = 0  // of buffer[0]
        var atEnd = false
        var last: UInt64 = 0
        while true {
            let parsed = buffer.withUnsafeBytes { JournalRecord.parse(UnsafeRawBufferPointer(rebasing: $0[..<end]), at: start) }
            switch parsed {
            case .record(let record, let size):
                guard record.seq > last else {
                    throw JournalCorruption(file: path, offset: fileOffset + start, reason: "sequence \(record.seq) after \(last)")
                }
                last = record.seq
                start += size
                guard try visit(record) else { return }
            case .invalid:
                // Not yet written whole (a checksum over bytes still arriving): past the committed end.
                return
            case .truncated:
                if atEnd { return }
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
