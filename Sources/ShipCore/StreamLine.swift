public import DoorstepValues

/// One line the daemon sends a JSON-mode connection: a reply or an event (docs/protocol.md §4).
public enum StreamLine: Sendable, Equatable {
    /// `{"event":NAME,"seq":N,"time":T,"data":…}`.
    case event(StreamEvent)
    /// `{"tag":…,"ok":…,"code":N,…}`: `error` and `message` when it failed, `data` when it did not.
    case reply(StreamReply)

    /// Reads one line (without its newline).
    ///
    /// - Throws: ``StreamError/malformed(_:)`` for a line that is neither (the daemon and the
    ///   shipper disagree about the protocol: say so rather than guess).
    public static func parse(_ line: some Collection<UInt8>) throws(StreamError) -> StreamLine {
        let json: JSON
        do {
            json = try JSON.parse(line)
        } catch {
            throw .malformed("not JSON (\(error)): \(Self.excerpt(line))")
        }
        guard case .object = json else { throw .malformed("not a JSON object: \(Self.excerpt(line))") }
        if case .string(let name)? = json["event"] {
            guard case .int(let seq)? = json["seq"], seq > 0 else { throw .malformed("event \(name) without a sequence number") }
            guard case .string(let time)? = json["time"] else { throw .malformed("event \(name) \(seq) without a time") }
            return .event(StreamEvent(name: name, seq: UInt64(seq), time: time, data: json["data"] ?? .null))
        }
        guard case .int(let code)? = json["code"] else { throw .malformed("neither an event nor a reply: \(Self.excerpt(line))") }
        var message = ""
        if case .string(let m)? = json["message"] { message = m }
        var error: String?
        if case .string(let e)? = json["error"] { error = e }
        return .reply(StreamReply(code: Int(code), error: error, message: message, data: json["data"] ?? .null))
    }

    static func excerpt(_ line: some Collection<UInt8>) -> String {
        let text = String(decoding: line.prefix(200), as: UTF8.self)
        return line.count > 200 ? text + "…" : text
    }
}

/// A committed event as the daemon delivers it.
public struct StreamEvent: Sendable, Equatable {
    public var name: String
    public var seq: UInt64
    /// RFC 3339 with the community's offset.
    public var time: String
    public var data: JSON

    public init(name: String, seq: UInt64, time: String, data: JSON) {
        self.name = name
        self.seq = seq
        self.time = time
        self.data = data
    }
}

/// A reply line.
public struct StreamReply: Sendable, Equatable {
    public var code: Int
    /// The error's stable name (`not_found`), when it failed.
    public var error: String?
    public var message: String
    public var data: JSON

    public init(code: Int, error: String? = nil, message: String = "", data: JSON = .null) {
        self.code = code
        self.error = error
        self.message = message
        self.data = data
    }

    public var ok: Bool { (200..<300).contains(code) }
}

/// What can go wrong with the daemon's stream, each with what to do about it.
public enum StreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A line the shipper cannot read.
    case malformed(String)
    /// A line longer than the shipper accepts.
    case lineTooLong(Int)
    /// Events came out of `seq` order (never happens with a daemon keeping its contract).
    case outOfOrder(after: UInt64, got: UInt64)
    /// The daemon refused a request (`hello`, `subscribe`).
    case refused(request: String, reply: StreamReply)

    public var description: String {
        switch self {
        case .malformed(let text): return "the daemon sent a line the shipper cannot read: \(text)"
        case .lineTooLong(let n): return "the daemon sent a line of more than \(n) bytes"
        case .outOfOrder(let after, let got): return "the daemon sent seq \(got) after seq \(after): events out of order"
        case .refused(let request, let reply):
            return "the daemon refused '\(request)': \(reply.code) \(reply.error ?? ""): \(reply.message)"
        }
    }
}

/// Splits bytes read from the socket into lines (`\n`; a `\r` before it is dropped).
public struct LineSplitter: Sendable {
    private var buffer: [UInt8] = []
    /// Where the search for the next newline resumes (bytes before it have none).
    private var scanned = 0
    public let maxLine: Int

    public init(maxLine: Int = 256 << 20) { self.maxLine = maxLine }

    /// Adds `bytes`; returns every line now complete.
    public mutating func push(_ bytes: some Collection<UInt8>) throws(StreamError) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var lines: [[UInt8]] = []
        var start = 0
        var i = scanned
        while i < buffer.count {
            if buffer[i] == 0x0A {
                var end = i
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                lines.append(Array(buffer[start..<end]))
                start = i + 1
            }
            i += 1
        }
        if start > 0 { buffer.removeFirst(start) }
        scanned = buffer.count
        if buffer.count > maxLine { throw .lineTooLong(maxLine) }
        return lines
    }

    /// Bytes of an unfinished line.
    public var pending: Int { buffer.count }
}
