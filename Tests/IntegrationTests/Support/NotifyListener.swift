import Foundation
import Synchronization

/// A stand-in for systemd's notification socket: collects the datagrams `sd_notify` sends.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let messages = MessageBox()
    private var thread: Thread?

    init(path: String) {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_un.make(path)
        let socketFD = fd
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let messages = self.messages
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return }
                messages.list.withLock { $0.append(String(decoding: buffer[..<n], as: UTF8.self)) }
            }
        }
        thread.start()
        self.thread = thread
    }

    /// Every datagram so far.
    var all: [String] { messages.list.withLock { $0 } }

    /// Waits until a datagram satisfies `predicate`; returns it.
    func wait(timeout: Double = 10, _ predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let m = all.first(where: predicate) { return m }
            usleep(10_000)
        }
        return nil
    }

    /// Number of datagrams satisfying `predicate`.
    func count(_ predicate: (String) -> Bool) -> Int { all.filter(predicate).count }

    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}

extension sockaddr_un {
    static func make(_ path: String) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        return addr
    }
}

final class MessageBox: Sendable {
    let list = Mutex<[String]>([])
}
