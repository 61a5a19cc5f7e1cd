import Glibc

/// A blocking-free conversation with the daemon: one poll loop that sends queued requests
/// (from the command line or stdin), reads replies as they come, and never deadlocks on a
/// daemon that pauses reading until its replies are read.
struct ControlConnection {
    enum Failure: Error {
        case unreachable(String)
        case timeout(Double)
        case closed(pending: Int)
        case io(String)
        /// Ctrl-C in the interactive session, while waiting for the daemon.
        case interrupted
        /// The daemon refused the connection or a request of a query (its final line).
        case refused(String)
    }

    let fd: Int32

    /// Connects to the socket at `path`.
    static func connect(path: String) throws(Failure) -> ControlConnection {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .io("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw .unreachable("socket path \(path) is too long (at most 107 bytes)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            var message = "cannot connect to \(path): \(String(cString: strerror(code)))"
            if code == EACCES {
                message += "\n  you may not use this socket: ask an admin to add you to its group"
            } else {
                message += "\n  is doorstepd running? Start it with 'make run' in the source tree, or 'systemctl start doorstep.socket';"
                message += "\n  --socket PATH or DOORSTEP_SOCKET choose another socket"
            }
            throw .unreachable(message)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return ControlConnection(fd: fd)
    }

    /// Runs the conversation.
    ///
    /// - Parameters:
    ///   - initial: bytes to send first; `initialRequests` is how many requests they hold.
    ///   - readStdin: also forward standard input, counting its requests.
    ///   - follow: keep reading events after the last reply, until the daemon closes.
    func converse(initial: [UInt8], initialRequests: Int, readStdin: Bool, follow: Bool, timeout: Double,
                  printer: inout ReplyPrinter) throws(Failure)
    {
        var outgoing = initial[...]
        var expected = initialRequests
        var counter = RequestCounter()
        counter.keepLines = printer.separators
        var stdinOpen = readStdin
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var lastProgress = Self.now()
        while true {
            let waiting = printer.received < expected
            if !stdinOpen, outgoing.isEmpty, !waiting, !follow { return }
            var fds = [pollfd(fd: fd, events: Int16(POLLIN) | (outgoing.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)]
            if stdinOpen, outgoing.count < 1 << 20 { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            var wait: Int32 = -1
            if waiting, timeout > 0 {
                let left = timeout - (Self.now() - lastProgress)
                if left <= 0 { throw .timeout(timeout) }
                wait = Int32(min(left * 1000, 60_000)) + 1
            }
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .io("poll: \(String(cString: strerror(errno)))")
            }
            if fds.count > 1, fds[1].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n > 0 {
                    expected += counter.feed(buffer[..<n])
                    outgoing += buffer[..<n]
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    stdinOpen = false
                    if counter.hasPartialLine {
                        expected += counter.feed([0x0A])
                        outgoing.append(0x0A)
                    }
                }
                if !counter.lines.isEmpty {
                    printer.requests += counter.lines
                    counter.lines.removeAll()
                }
            }
            if fds[0].revents & Int16(POLLOUT) != 0, !outgoing.isEmpty {
                let n = outgoing.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n > 0 {
                    outgoing = outgoing.dropFirst(n)
                    if outgoing.isEmpty { outgoing = [][...] }
                } else if n < 0, errno != EAGAIN, errno != EINTR {
                    // The daemon closed (a refusal, an idle timeout): read what it said first.
                    outgoing = [][...]
                    stdinOpen = false
                }
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    printer.feed(buffer[..<n])
                    lastProgress = Self.now()
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    if printer.received < expected { throw .closed(pending: expected - printer.received) }
                    return
                }
            }
        }
    }

    /// Sends all of `bytes` (blocking in poll), or throws; Ctrl-C in the session interrupts.
    func sendAll(_ bytes: [UInt8], timeout: Double) throws(Failure) {
        var rest = bytes[...]
        let start = Self.now()
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                rest = rest.dropFirst(n)
                continue
            }
            if n < 0, errno != EAGAIN, errno != EINTR { throw .closed(pending: 1) }
            try wait(for: Int16(POLLOUT), since: start, timeout: timeout)
        }
    }

    /// Waits until the socket is ready for `events`; throws on timeout or Ctrl-C.
    func wait(for events: Int16, since start: Double, timeout: Double) throws(Failure) {
        while true {
            if Signals.takeInterrupt() { throw .interrupted }
            var fds = [pollfd(fd: fd, events: events, revents: 0)]
            var wait: Int32 = -1
            if timeout > 0 {
                let left = timeout - (Self.now() - start)
                if left <= 0 { throw .timeout(timeout) }
                wait = Int32(min(left * 1000, 60_000)) + 1
            }
            let ready = poll(&fds, 1, wait)
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw .io("poll: \(String(cString: strerror(errno)))") }
        }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
