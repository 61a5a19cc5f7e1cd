import Glibc

/// POSIX file operations for durable state, with the errors named.
enum FileSystem {
    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let path: String
        let code: Int32

        var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
        var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }
    }

    static func readAll(_ path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "read", path: path, code: errno)
            }
            if n == 0 { break }
            done += n
        }
        return Array(out[..<done])
    }

    /// Writes all of `bytes` at the current position of `fd`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(Failure) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "write", path: path, code: errno)
            }
            done += n
        }
    }

    /// fsyncs a directory, so a created, renamed or removed entry survives a power cut.
    static func syncDirectory(_ path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: path, code: errno) }
    }

    /// Writes a whole file atomically: tmp → fsync → rename → fsync directory.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws(Failure) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(operation: "create", path: tmp, code: errno) }
        // The mode asked for, whatever the umask (the unit's UMask=0077 made the metrics
        // textfile 0600, which node_exporter, another user, cannot read).
        _ = fchmod(fd, mode)
        do throws(Failure) {
            try writeAll(fd, bytes, path: tmp)
            guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: tmp, code: errno) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let code = errno
            unlink(tmp)
            throw Failure(operation: "rename", path: path, code: code)
        }
        try syncDirectory(directory(of: path))
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Takes the state directory's lock (`DIR/lock`, flock) for the life of the process, so
    /// two daemons, or a daemon and `--repair`, never write the same journal.
    ///
    /// Waits up to `wait` for a lock that is held: right after a `kill -9` of a big daemon
    /// its main thread is a zombie while other threads still hold the lock for a few (seen:
    /// 9–16) milliseconds, and a restart at once must not fail for that. `onWait` is called
    /// once if it has to wait, so the log says why start-up pauses.
    static func lockStateDirectory(_ dir: String, wait: Duration = .seconds(5),
                                   onWait: () -> Void = {}) throws(Failure) {
        let path = dir + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        let deadline = ContinuousClock.now + wait
        var told = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR, ContinuousClock.now < deadline else {
                close(fd)
                throw Failure(operation: "lock (waited \(wait); is another doorstepd using this state directory?)", path: path, code: code)
            }
            if !told { told = true; onWait() }
            usleep(10_000)
        }
        // Intentionally never closed: the lock lasts until the process exits.
    }

    static func size(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : 0
    }
}
