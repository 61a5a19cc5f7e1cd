import DoorstepProtocol
import Foundation
import Synchronization

/// `doorstep-bench`: a load generator that speaks the control protocol over real sockets.
///
/// ```
/// doorstep-bench mutate --socket S --clients N --seconds T [--depth D]   durable probe.set
/// doorstep-bench read   --socket S --clients N --seconds T [--depth D]   probe.get
/// doorstep-bench fill   --socket S --records R [--clients N] [--depth D] write R records fast
/// ```
/// Each client is a thread with its own connection; with depth D it keeps D requests in
/// flight (pipelining). Prints one line of figures and, with --json FILE, appends a JSON line.
@main
enum Bench {
    struct Options {
        var mode = ""
        var socket = "var/doorstep.sock"
        var clients = 1
        var seconds = 5.0
        var depth = 1
        var records = 0
        var json: String?
        var label = ""
    }

    static func main() {
        var o = Options()
        var args = Array(CommandLine.arguments.dropFirst())[...]
        o.mode = args.popFirst() ?? ""
        while let a = args.popFirst() {
            let v = args.popFirst() ?? ""
            switch a {
            case "--socket": o.socket = v
            case "--clients": o.clients = Int(v) ?? 1
            case "--seconds": o.seconds = Double(v) ?? 5
            case "--depth": o.depth = max(1, Int(v) ?? 1)
            case "--records": o.records = Int(v) ?? 0
            case "--json": o.json = v
            case "--label": o.label = v
            default:
                FileHandle.standardError.write(Data("doorstep-bench: unknown option \(a)\n".utf8))
                exit(2)
            }
        }
        guard ["mutate", "read", "fill"].contains(o.mode) else {
            FileHandle.standardError.write(Data("usage: doorstep-bench mutate|read|fill --socket S [--clients N] [--seconds T] [--depth D] [--records R]\n".utf8))
            exit(2)
        }
        if o.mode == "read" { prepareReads(o) }
        let result = run(o)
        let line = String(format: "%@ %@ clients=%d depth=%d ops=%d seconds=%.2f ops/s=%.0f p50_us=%.0f p99_us=%.0f errors=%d",
                          o.label, o.mode, o.clients, o.depth, result.ops, result.seconds, Double(result.ops) / result.seconds,
                          result.p50, result.p99, result.errors)
        print(line)
        if let path = o.json {
            let object = "{\"label\":\"\(o.label)\",\"mode\":\"\(o.mode)\",\"clients\":\(o.clients),\"depth\":\(o.depth),\"ops\":\(result.ops),"
                + "\"seconds\":\(result.seconds),\"ops_per_second\":\(Double(result.ops) / result.seconds),"
                + "\"p50_us\":\(result.p50),\"p99_us\":\(result.p99),\"errors\":\(result.errors)}\n"
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data(object.utf8))
            } else {
                FileManager.default.createFile(atPath: path, contents: Data(object.utf8))
            }
        }
        exit(result.errors == 0 ? 0 : 1)
    }

    struct Result {
        var ops = 0
        var seconds = 0.0
        var p50 = 0.0
        var p99 = 0.0
        var errors = 0
    }

    /// Keys the read benchmark asks for.
    static let readKeys = 1000

    static func prepareReads(_ o: Options) {
        var fill = o
        fill.mode = "fill-keys"
        fill.clients = 1
        fill.records = readKeys
        fill.depth = 64
        _ = run(fill)
    }

    static func run(_ o: Options) -> Result {
        let totals = Totals()
        let start = Date()
        let deadline = start.addingTimeInterval(o.seconds)
        let perClient = o.records > 0 ? (o.records + o.clients - 1) / o.clients : Int.max
        var threads: [Thread] = []
        let done = DispatchGroup()
        for c in 0..<o.clients {
            done.enter()
            let t = Thread {
                defer { done.leave() }
                guard let conn = try? Connection(path: o.socket) else {
                    totals.state.withLock { $0.errors += 1 }
                    return
                }
                var mine: [Double] = []
                var sent = 0, answered = 0, bad = 0
                var sentAt: [Double] = []
                sentAt.reserveCapacity(1024)
                var head = 0
                while answered < perClient {
                    if o.records == 0, Date() >= deadline, sent == answered { break }
                    while sent - answered < o.depth, sent < perClient, o.records > 0 || Date() < deadline {
                        let line: String
                        switch o.mode {
                        case "read": line = "probe.get key\(sent % readKeys)\n"
                        case "fill-keys": line = "probe.set key\(sent) value-\(sent)\n"
                        default: line = "probe.set b\(c)-\(sent) 值\(sent)\n"
                        }
                        conn.send(line)
                        sentAt.append(now())
                        sent += 1
                    }
                    if sent == answered { break }
                    guard let final = conn.readFinal() else { bad += 1; break }
                    if !final.hasPrefix("200") { bad += 1 }
                    mine.append((now() - sentAt[head]) * 1e6)
                    head += 1
                    if head > 4096 { sentAt.removeFirst(head); head = 0 }
                    answered += 1
                }
                totals.state.withLock {
                    $0.latencies += mine
                    $0.total += answered
                    $0.errors += bad
                }
            }
            threads.append(t)
            t.start()
        }
        done.wait()
        let elapsed = Date().timeIntervalSince(start)
        var (latencies, total, errors) = totals.state.withLock { ($0.latencies, $0.total, $0.errors) }
        latencies.sort()
        func pct(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        return Result(ops: total, seconds: elapsed, p50: pct(0.5), p99: pct(0.99), errors: errors)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Figures gathered by the client threads.
final class Totals: Sendable {
    struct State {
        var latencies: [Double] = []
        var total = 0
        var errors = 0
    }

    let state = Mutex(State())
}

/// A blocking protocol connection: send lines, read up to each reply's final line.
final class Connection {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0, end = 0

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func send(_ line: String) {
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }

    /// The next reply's final line (data lines are skipped).
    func readFinal() -> String? {
        while true {
            guard let line = readLine() else { return nil }
            let b = Array(line.utf8)
            if b.count >= 4, b[3] == UInt8(ascii: " ") { return line }
        }
    }

    private func readLine() -> String? {
        while true {
            if let nl = buffer[start..<end].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[start..<nl], as: UTF8.self)
                start = nl + 1
                return line
            }
            if start > 0 {
                buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                end -= start
                start = 0
            }
            if end == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + end, $0.count - end, 0) }
            if n <= 0 { return nil }
            end += n
        }
    }
}
