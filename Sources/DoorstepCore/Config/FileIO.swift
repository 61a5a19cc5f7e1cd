import DoorstepProtocol
import Glibc

/// Small POSIX file helpers: the daemon avoids Foundation for file access.
enum FileIO {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The strerror text for `code`.
    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Reads a whole file as UTF-8 text.
    static func readText(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: errorText(errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: errorText(errno))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        if let bad = UTF8Check.firstInvalidByte(bytes) {
            let before = bytes[..<bad]
            let line = before.count(where: { $0 == 0x0A }) + 1
            let lineStart = (before.lastIndex(of: 0x0A) ?? -1) + 1
            let column = bytes[lineStart..<bad].count(where: { $0 & 0xC0 != 0x80 }) + 1
            throw Failure(description: "not valid UTF-8 at line \(line), column \(column) (byte \(bad)); "
                + "save the file as UTF-8 (a file from Windows may be GBK: iconv -f GB18030 -t UTF-8)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Creates `path` and its missing parents with `mode`.
    static func makeDirectories(_ path: String, mode: mode_t = 0o750) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0, errno != EEXIST {
                throw Failure(description: "cannot create \(current): \(errorText(errno))")
            }
        }
    }

    /// Total size in bytes of the regular files under `path`.
    static func treeSize(_ path: String) -> Int64 {
        guard let dir = opendir(path) else { return 0 }
        defer { closedir(dir) }
        var total: Int64 = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var st = stat()
            guard lstat(child, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR { total += treeSize(child) } else if (st.st_mode & S_IFMT) == S_IFREG {
                total += Int64(st.st_size)
            }
        }
        return total
    }
}
