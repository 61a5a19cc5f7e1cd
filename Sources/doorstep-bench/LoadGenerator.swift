import Foundation
import Synchronization

/// What one load run is asked to do.
struct LoadPlan: Sendable {
    var wire: Wire
    var socket: String
    var clients: Int
    /// Requests each connection keeps in flight (pipelining depth).
    var depth: Int
    var template: Template
    var keys: [String]
    var value: String
    /// Measured seconds after the warm-up; ignored when `total` is set.
    var seconds: Double
    var warmup: Double
    /// Send exactly this many requests in all (fill mode), then stop.
    var total: Int?
    var threads: Int
}

/// What a load run measured.
struct LoadResult: Sendable {
    var ops = 0
    var seconds = 0.0
    var p50Micros = 0.0
    var p99Micros = 0.0
    var errors = 0
    var firstError: String?

    var opsPerSecond: Double { seconds > 0 ? Double(ops) / seconds : 0 }
}

/// Drives many pipelined connections from a few threads with poll(2): each connection keeps
/// `depth` requests in flight and refills as replies arrive, timing each request from its
/// send to its reply.
enum LoadGenerator {
    static func run(_ plan: LoadPlan) throws -> LoadResult {
        let requests = Requests(plan: plan)
        var connections: [LoadConnection] = []
        for index in 0..<plan.clients {
            connections.append(try LoadConnection(path: plan.socket, index: index, plan: plan))
        }
        let start = monotonicNanos()
        let measureStart = plan.total == nil ? start + UInt64(plan.warmup * 1e9) : start
        let deadline = plan.total == nil ? measureStart + UInt64(plan.seconds * 1e9) : UInt64.max
        let threads = max(1, min(plan.threads, plan.clients))
        let results = Mutex<[ThreadFigures]>([])
        let group = DispatchGroup()
        for t in 0..<threads {
            let mine = stride(from: t, to: connections.count, by: threads).map { connections[$0] }
            group.enter()
            let thread = Thread {
                let figures = drive(mine, plan: plan, requests: requests, measureStart: measureStart, deadline: deadline)
                results.withLock { $0.append(figures) }
                group.leave()
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
        group.wait()
        let all = results.withLock { $0 }
        let micros = all.flatMap(\.latencies).map { Double($0) / 1000 }.sorted()
        let end = plan.total == nil ? deadline : all.map(\.lastReply).max() ?? start
        return LoadResult(ops: micros.count, seconds: Double(end - measureStart) / 1e9,
                          p50Micros: Stats.percentile(micros, 0.5), p99Micros: Stats.percentile(micros, 0.99),
                          errors: all.reduce(0) { $0 + $1.errors }, firstError: all.compactMap(\.firstError).first)
    }

    struct ThreadFigures: Sendable {
        /// Nanoseconds from send to reply of each request answered inside the window.
        var latencies: [UInt64] = []
        var errors = 0
        var firstError: String?
        var lastReply: UInt64 = 0
    }

    private static func drive(_ connections: [LoadConnection], plan: LoadPlan, requests: Requests,
                              measureStart: UInt64, deadline: UInt64) -> ThreadFigures {
        var figures = ThreadFigures()
        figures.latencies.reserveCapacity(1 << 20)
        var fds = connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        for c in connections { c.refill(requests: requests, now: monotonicNanos(), deadline: deadline) }
        var drainUntil: UInt64 = .max
        while true {
            let now = monotonicNanos()
            let open = connections.contains { $0.alive && $0.inFlight > 0 }
            if !open { break }
            if now >= deadline, drainUntil == .max { drainUntil = now + 10_000_000_000 }
            if now >= drainUntil {
                figures.errors += connections.reduce(0) { $0 + ($1.alive ? $1.inFlight : 0) }
                figures.firstError = figures.firstError ?? "replies still missing 10 s after the run"
                break
            }
            for i in fds.indices { fds[i].events = Int16(POLLIN) | (connections[i].pendingOut.isEmpty ? 0 : Int16(POLLOUT)) }
            let ready = poll(&fds, nfds_t(fds.count), 100)
            if ready <= 0 { continue }
            for i in fds.indices where fds[i].revents != 0 {
                let c = connections[i]
                if fds[i].revents & Int16(POLLOUT) != 0 { c.flush() }
                guard fds[i].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 else { continue }
                c.receive { ok, line in
                    let t = monotonicNanos()
                    let sent = c.popSendTime()
                    figures.lastReply = t
                    if !ok {
                        figures.errors += 1
                        if figures.firstError == nil { figures.firstError = line() }
                    } else if t >= measureStart, t <= deadline {
                        figures.latencies.append(t - sent)
                    }
                }
                if !c.alive {
                    figures.errors += c.inFlight
                    figures.firstError = figures.firstError ?? "connection \(c.index) closed by the server"
                    c.inFlight = 0
                    continue
                }
                c.refill(requests: requests, now: monotonicNanos(), deadline: deadline)
            }
        }
        return figures
    }
}

/// The requests of a plan, encoded once per key when the template allows it.
final class Requests: Sendable {
    let plan: LoadPlan
    private let encoded: [[UInt8]]
    /// Requests claimed so far, for plans with a total.
    private let claimed = Atomic<Int>(0)

    init(plan: LoadPlan) {
        self.plan = plan
        let fixed = !plan.template.words.contains { $0.parts.contains { if case .n = $0 { true } else { false } } }
        if fixed, plan.template.usesKey {
            encoded = plan.keys.map { plan.wire.encode(plan.template, key: $0, n: 0, value: plan.value) }
        } else if fixed {
            encoded = [plan.wire.encode(plan.template, key: "", n: 0, value: plan.value)]
        } else {
            encoded = []
        }
    }

    /// The next request for a connection whose cursor is `cursor`, or nil once a total is reached.
    func next(cursor: Int) -> [UInt8]? {
        var n = cursor
        if let total = plan.total {
            n = claimed.add(1, ordering: .relaxed).oldValue
            if n >= total { return nil }
        }
        // A run with a total walks the keys once in order (a fill); a timed run walks from each connection's offset.
        let index = plan.total == nil ? cursor : n
        if !encoded.isEmpty { return encoded[index % encoded.count] }
        let key = plan.keys.isEmpty ? "" : plan.keys[index % plan.keys.count]
        return plan.wire.encode(plan.template, key: key, n: n, value: plan.value)
    }
}

/// One non-blocking connection with its read buffer and the send times of its requests in flight.
final class LoadConnection: @unchecked Sendable {
    let fd: Int32
    let index: Int
    let wire: Wire
    let depth: Int
    var alive = true
    var inFlight = 0
    var pendingOut: [UInt8] = []
    private var cursor: Int
    private var sendTimes: [UInt64]
    private var head = 0
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0, end = 0

    init(path: String, index: Int, plan: LoadPlan) throws {
        fd = try connectUnix(path)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        self.index = index
        wire = plan.wire
        depth = plan.depth
        cursor = plan.keys.isEmpty ? index * 1_000_000_000 : index * plan.keys.count / max(1, plan.clients)
        sendTimes = [UInt64](repeating: 0, count: plan.depth)
        buffer = .allocate(byteCount: 1 << 18, alignment: 8)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Sends requests until `depth` are in flight, in one write.
    func refill(requests: Requests, now: UInt64, deadline: UInt64) {
        guard alive, now < deadline, inFlight < depth else { return }
        var batch: [UInt8] = []
        while inFlight < depth, let request = requests.next(cursor: cursor) {
            cursor += 1
            batch += request
            sendTimes[(head + inFlight) % depth] = now
            inFlight += 1
        }
        pendingOut += batch
        flush()
    }

    func flush() {
        while !pendingOut.isEmpty {
            let n = pendingOut.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                pendingOut.removeFirst(n)
            } else {
                if n < 0, errno == EAGAIN || errno == EINTR { return }
                alive = false
                return
            }
        }
    }

    func popSendTime() -> UInt64 {
        let t = sendTimes[head]
        head = (head + 1) % depth
        inFlight -= 1
        return t
    }

    /// Reads what is there and calls `reply` for each complete reply; `line` renders the reply
    /// line for error messages.
    func receive(_ reply: (Bool, () -> String) -> Void) {
        while true {
            if end == buffer.count {
                if start > 0 {
                    buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
                    end -= start
                    start = 0
                } else {
                    let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 8)
                    bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
                    buffer.deallocate()
                    buffer = bigger
                }
            }
            let n = recv(fd, buffer.baseAddress! + end, buffer.count - end, 0)
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
                alive = false
                return
            }
            if n < 0 { return }
            end += n
            let bytes = UnsafeRawBufferPointer(buffer)
            start = wire.scanReplies(bytes, from: start, to: end) { ok, from, to in
                reply(ok) { String(decoding: bytes[from..<to], as: UTF8.self) }
            }
            if start == end { start = 0; end = 0 }
        }
    }
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A blocking connection to a Unix socket.
func connectUnix(_ path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BenchError("socket(): errno \(errno)") }
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw BenchError("socket path too long: \(path)") }
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard rc == 0 else {
        let code = errno
        close(fd)
        throw BenchError("cannot connect to \(path): \(String(cString: strerror(code)))")
    }
    return fd
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
