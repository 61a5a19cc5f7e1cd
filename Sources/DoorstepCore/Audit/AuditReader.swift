import Glibc

/// Reads the audit log's records in order through a window of bounded size, so neither
/// start-up nor `audit.list` holds the whole file (it is never compacted and grows for the
/// life of the community's deployment).
enum AuditReader {
    /// Bytes read per `pread`; a larger record grows the window to its size.
    static let window = 1 << 20

    /// Where and why a read ended.
    struct Stop: Equatable {
        /// The last valid record's id (0: none).
        var lastID: UInt64
        /// The offset just after the last valid record.
        var validEnd: Int
        /// True at `end` on a record boundary, or when `visit` asked to stop.
        var clean: Bool
        var reason: String
    }

    /// Calls `visit` for each valid record of `path` before byte `end` (nil: the file's end)
    /// until it returns false or the valid records end.
    @discardableResult
    /// With `decode` false only the framing is checked (``AuditFraming/parse(_:at:decode:)``).
    static func records(in path: String, end: Int? = nil, window: Int = AuditReader.window, decode: Bool = true,
                        visit: (AuditRecord) throws -> Bool) throws -> Stop {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystem.Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: window)
        var start = 0, filled = 0, fileOffset = 0
        var atEnd = false
        var last: UInt64 = 0
        while true {
            let parsed = buffer.withUnsafeBytes {
                AuditFraming.parse(UnsafeRawBufferPointer(rebasing: $0[..<filled]), at: start, decode: decode)
            }
            switch parsed {
            case .record(let record, let size):
                guard record.id > last else {
                    return Stop(lastID: last, validEnd: fileOffset + start, clean: false, reason: "id \(record.id) after \(last)")
                }
                last = record.id
                start += size
                guard try visit(record) else { return Stop(lastID: last, validEnd: fileOffset + start, clean: true, reason: "") }
            case .invalid(let why):
                return Stop(lastID: last, validEnd: fileOffset + start, clean: false, reason: why)
            case .truncated:
                if atEnd {
                    return Stop(lastID: last, validEnd: fileOffset + start, clean: start == filled, reason: "record cut short")
                }
                if start > 0 {
                    buffer.withUnsafeMutableBytes { b in _ = memmove(b.baseAddress!, b.baseAddress! + start, filled - start) }
                    fileOffset += start
                    filled -= start
                    start = 0
                }
                if filled >= AuditFraming.headerSize {
                    let needed = AuditFraming.headerSize + Int(buffer.withUnsafeBytes { JournalRecord.readU32($0, 0) })
                    if needed > buffer.count, needed <= AuditFraming.headerSize + AuditFraming.maxBodySize {
                        buffer += [UInt8](repeating: 0, count: needed - buffer.count)
                    }
                }
                var want = buffer.count - filled
                if let end { want = min(want, max(0, end - (fileOffset + filled))) }
                let n = want == 0 ? 0 : try readSome(fd, into: &buffer, at: filled, count: want, fileOffset: fileOffset + filled, path: path)
                if n == 0 { atEnd = true }
                filled += n
            }
        }
    }

    /// Whether a valid record with an id above `after` starts anywhere after `offset` (reads
    /// the rest of the file: only called when a read stopped early, to tell damage from a
    /// torn tail).
    static func hasValidRecord(in path: String, after offset: Int, idAbove after: UInt64) throws -> Bool {
        let rest = try FileSystem.readAll(path).dropFirst(offset)
        return rest.withUnsafeBytes { bytes in
            var o = 1
            while o + AuditFraming.headerSize <= bytes.count {
                if case .record(let r, _) = AuditFraming.parse(bytes, at: o), r.id > after { return true }
                o += 1
            }
            return false
        }
    }

    private static func readSome(_ fd: Int32, into buffer: inout [UInt8], at index: Int, count: Int, fileOffset: Int,
                                 path: String) throws(FileSystem.Failure) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + index, count, off_t(fileOffset)) }
            if n >= 0 { return n }
            if errno != EINTR { throw FileSystem.Failure(operation: "read", path: path, code: errno) }
        }
    }
}
