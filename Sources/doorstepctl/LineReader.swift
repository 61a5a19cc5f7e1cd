import DoorstepProtocol
import Glibc

/// Whole lines from a connection, read as they come (blocking in poll, interruptible).
final class LineReader {
    let connection: ControlConnection
    private var buffer: [UInt8] = []
    private var start = 0
    private(set) var atEOF = false

    init(_ connection: ControlConnection) { self.connection = connection }

    /// The next line without its newline; nil once the daemon has closed and the last line is read.
    func next(timeout: Double) throws(ControlConnection.Failure) -> String? {
        let began = ControlConnection.now()
        while true {
            if let line = takeLine() { return line }
            if atEOF {
                guard start < buffer.count else { return nil }
                let rest = String(decoding: buffer[start...], as: UTF8.self)
                buffer.removeAll()
                start = 0
                return rest
            }
            try fill(since: began, timeout: timeout)
        }
    }

    /// A line already received, without waiting.
    func takeLine() -> String? {
        guard let newline = buffer[start...].firstIndex(of: 0x0A) else { return nil }
        var end = newline
        if end > start, buffer[end - 1] == 0x0D { end -= 1 }
        let line = String(decoding: buffer[start..<end], as: UTF8.self)
        start = newline + 1
        if start > 65_536 {
            buffer.removeFirst(start)
            start = 0
        }
        return line
    }

    /// Reads what is there without blocking (for a socket poll said was readable); false at EOF.
    @discardableResult
    func readAvailable() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(connection.fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer += chunk[..<n]
                if n < chunk.count { return true }
                continue
            }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN { return true }
            atEOF = true
            return false
        }
    }

    private func fill(since began: Double, timeout: Double) throws(ControlConnection.Failure) {
        try connection.wait(for: Int16(POLLIN), since: began, timeout: timeout)
        readAvailable()
    }
}

/// Short JSON conversations on a connection of their own: the command list for completion, the
/// households for an id, the handshake of `watch`.
enum DaemonQuery {
    struct Answer {
        let hello: JSON
        let replies: [JSON]
    }

    /// Connects to `path`, sends `hello format=json client=…` and `requests`, and returns every
    /// reply (an error reply too: see its `ok`). A refusal at connect throws `.refused`.
    static func run(path: String, _ requests: [String], client: String = "doorstepctl", timeout: Double = 10)
        throws(ControlConnection.Failure) -> Answer
    {
        let connection = try ControlConnection.connect(path: path)
        defer { close(connection.fd) }
        let reader = LineReader(connection)
        let text = (["hello format=json client=\(client)"] + requests).map { $0 + "\n" }.joined()
        try connection.sendAll(Array(text.utf8), timeout: timeout)
        var replies: [JSON] = []
        while replies.count < requests.count + 1 {
            guard let line = try reader.next(timeout: timeout) else { throw .closed(pending: requests.count + 1 - replies.count) }
            if line.hasPrefix("{\"event\"") { continue }
            guard line.hasPrefix("{"), let json = try? JSON.parse(Array(line.utf8)) else { throw .refused(line) }
            if replies.isEmpty, json["ok"] != .bool(true) { throw .refused(json["message"]?.text ?? line) }
            replies.append(json)
        }
        return Answer(hello: replies[0], replies: Array(replies.dropFirst()))
    }
}

extension JSON {
    /// The string, or nil.
    var text: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements of an array (empty for anything else).
    var elements: [JSON] {
        if case .array(let a) = self { return a }
        return []
    }

    var integer: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }
}
