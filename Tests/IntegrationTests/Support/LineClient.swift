import Foundation

/// A protocol client for tests: raw bytes out, lines in, with timeouts.
final class LineClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    /// Event lines seen while waiting for replies.
    private(set) var events: [String] = []

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects as `uid`:`gid` (root only): the kernel records the connecting thread's
    /// effective ids (`SO_PEERCRED`), so only this thread switches, with the raw system calls
    /// (glibc's wrappers would switch every thread of the test process), and back at once.
    /// x86-64 system call numbers (Glibc's module does not export `SYS_*`).
    static let sysSetresuid = 117, sysSetresgid = 119

    /// `syscall(2)` with three arguments (Swift cannot call the variadic C function; on x86-64
    /// integer arguments pass the same way either way).
    static let rawSyscall: @convention(c) (Int, Int, Int, Int) -> Int = {
        unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syscall")!, to: (@convention(c) (Int, Int, Int, Int) -> Int).self)
    }()

    convenience init(socket path: String, uid: UInt32, gid: UInt32) throws {
        precondition(getuid() == 0, "connecting as another user needs root")
        let syscall = Self.rawSyscall
        guard syscall(Self.sysSetresgid, -1, Int(gid), -1) == 0, syscall(Self.sysSetresuid, -1, Int(uid), -1) == 0 else {
            throw Failure(description: "cannot switch this thread to \(uid):\(gid): \(String(cString: strerror(errno)))")
        }
        defer {
            _ = syscall(Self.sysSetresuid, -1, 0, -1)
            _ = syscall(Self.sysSetresgid, -1, 0, -1)
        }
        try self.init(socket: path)
    }

    init(socket path: String) throws {
        // Close-on-exec: a daemon another test spawns meanwhile must not inherit this
        // connection (the daemon here would never see it close).
        fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        // Bounded connect and send: a daemon that stops accepting or reading fails the test
        // after a while instead of hanging the whole run.
        var limit = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_un.make(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw Failure(description: "connect \(path): \(String(cString: strerror(e)))")
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var rest = bytes[...]
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else {
                let e = errno
                throw Failure(description: e == EAGAIN ? "send: the daemon has not read for 30 s" : "send: \(String(cString: strerror(e)))")
            }
            rest = rest.dropFirst(n)
        }
    }

    /// The next line (without newline), or nil at EOF; throws on timeout.
    func readLine(timeout: Double = 10) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeFirst(nl + 1)
                return line
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw Failure(description: "timeout waiting for a line; have \(String(decoding: buffer, as: UTF8.self))") }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(left * 1000) + 1) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            buffer += chunk[..<n]
        }
    }

    /// Lines of one text reply (data lines and the final line); events are set aside.
    func readReply(timeout: Double = 10) throws -> [String] {
        var lines: [String] = []
        while true {
            guard let line = try readLine(timeout: timeout) else {
                throw Failure(description: "connection closed inside a reply: \(lines)")
            }
            var rest = Substring(line)
            if rest.hasPrefix("@"), let sp = rest.firstIndex(of: " ") { rest = rest[rest.index(after: sp)...] }
            if rest.hasPrefix("6") {
                events.append(line)
                continue
            }
            lines.append(line)
            if rest.count >= 4, rest[rest.index(rest.startIndex, offsetBy: 3)] == " " { return lines }
            if rest.count == 3 { return lines }
        }
    }

    /// Sends one request line and returns its text reply.
    func request(_ line: String, timeout: Double = 10) throws -> [String] {
        try send(line + "\n")
        return try readReply(timeout: timeout)
    }

    /// The next JSON object line (reply or event).
    func readJSON(timeout: Double = 10) throws -> [String: Any] {
        guard let line = try readLine(timeout: timeout) else { throw Failure(description: "EOF waiting for JSON") }
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw Failure(description: "not a JSON object: \(line)")
        }
        return object
    }

    /// Sends a request in JSON mode and returns the reply object, skipping events.
    func requestJSON(_ line: String, timeout: Double = 10) throws -> [String: Any] {
        try send(line + "\n")
        while true {
            let object = try readJSON(timeout: timeout)
            if object["event"] == nil { return object }
            events.append(String(describing: object))
        }
    }

    /// Whether the daemon closed the connection within `timeout`.
    func isClosed(timeout: Double = 5) -> Bool {
        (try? readLine(timeout: timeout)) == .some(nil)
    }
}

extension Array where Element == String {
    /// The final line of a reply, without tag.
    var final: String {
        var s = Substring(last ?? "")
        if s.hasPrefix("@"), let sp = s.firstIndex(of: " ") { s = s[s.index(after: sp)...] }
        return String(s)
    }
}
