import Glibc

/// Prepares the control socket path: replaces a stale socket file, never a live daemon's.
enum ListenerSetup {
    struct Failure: Error, CustomStringConvertible {
        let description: String
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
        if isLive(path) {
            throw Failure(description: "another daemon is already serving \(path); stop it first (it was not displaced)")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw Failure(description: "cannot remove stale socket \(path): \(FileIO.errorText(errno))")
        }
    }

    /// Whether something accepts connections on `path`.
    static func isLive(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
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
