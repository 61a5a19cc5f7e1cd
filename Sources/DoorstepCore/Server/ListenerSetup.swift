import Glibc

/// Prepares the control socket path: replaces a stale socket file, never a live daemon's.
enum ListenerSetup {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The longest path a Unix socket address holds (`sun_path` is 108 bytes with its NUL).
    static let maxSocketPathBytes = 107

    /// Why `path` cannot be a socket's path (nil when it can): checked with the config, so a
    /// path too long fails `--check-config` and start-up, not the bind after recovery.
    static func socketPathProblem(_ path: String) -> String? {
        if path.isEmpty { return "a Unix socket path must not be empty" }
        if path.utf8.contains(0) { return "a Unix socket path must not hold a NUL byte" }
        let n = path.utf8.count
        if n > maxSocketPathBytes {
            return "'\(path)' is \(n) bytes; a Unix socket path holds at most \(maxSocketPathBytes) (use a shorter or relative path)"
        }
        return nil
    }

    /// Makes `path` free to bind: creates its directory, removes a socket file nobody listens on.
    ///
    /// - Throws: when another process serves the socket, or the path is not a socket.
    static func preparePath(_ path: String) throws {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try FileIO.makeDirectories(String(path[..<slash]))
        }
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else {
            throw Failure(description: "\(path) exists and is not a socket; refusing to replace it")
        }
        switch probe(path) {
        case 0:
            throw Failure(description: "another daemon is already serving \(path); stop it first (it was not displaced)")
        case ECONNREFUSED:
            break  // nobody listens: a socket file left by a crash
        case let code:
            throw Failure(description: "cannot tell whether \(path) is in use (\(FileIO.errorText(code))); not replacing it")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw Failure(description: "cannot remove stale socket \(path): \(FileIO.errorText(errno))")
        }
    }

    /// 0 when something accepts connections on `path`, else the `connect` error.
    static func probe(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0 ? 0 : errno
    }

    /// The path a listening Unix socket is bound to (for a socket systemd passed).
    static func boundPath(_ fd: CInt) -> String? {
        var addr = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0, addr.sun_family == sa_family_t(AF_UNIX) else { return nil }
        return withUnsafeBytes(of: addr.sun_path) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Applies mode and group to a socket file the daemon bound itself.
    static func applyPermissions(_ path: String, mode: UInt32, group: String) throws {
        if !group.isEmpty {
            guard let gid = Identity.groupID(group) else { throw Failure(description: "no such group '\(group)'") }
            guard chown(path, uid_t(bitPattern: -1), gid) == 0 else {
                throw Failure(description: "cannot give \(path) to group \(group): \(FileIO.errorText(errno))")
            }
        }
        guard chmod(path, mode_t(mode)) == 0 else {
            throw Failure(description: "cannot set mode \(String(mode, radix: 8)) on \(path): \(FileIO.errorText(errno))")
        }
    }
}
