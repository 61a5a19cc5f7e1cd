import Glibc
public import DoorstepProtocol
public import NIOCore

/// What the decoder hands the connection: a parsed request, or an error to answer.
public enum Frame: Sendable {
    /// A request with its heredoc body, if any, and the body's share of the daemon's body
    /// budget (given back when the frame is dropped). A body is `body` (checked UTF-8, CRs
    /// before LFs dropped) or, for a command that takes its body as bytes
    /// (``BodyVerdict/acceptBytes``) or one not screened in time, `bytes` (as received; the
    /// dispatcher checks them against the command's ``BodyEncoding``).
    case request(RequestLine, body: String?, lease: BodyLease? = nil, bytes: [UInt8]? = nil)
    /// A line or body that could not be accepted; the tag is recovered when possible.
    case failure(tag: String?, ControlError)
}

/// Whether a body announced by a request line is wanted, decided at that line (so a body
/// nobody will read is never buffered).
public enum BodyVerdict: Sendable {
    /// Read it.
    case accept
    /// Read it as bytes, whatever the encoding, CRs kept (``BodyEncoding/bytes``).
    case acceptBytes
    /// Answer this at once and discard the body as it arrives.
    case refuse(ControlError)
    /// Not known yet (the peer is not identified yet): asked again as the body arrives.
    case undecided
}

/// When the request being received began to arrive, shared by the decoder (which knows where
/// requests start and end) and ``InputDeadline`` (which closes a connection whose request
/// takes too long). Touched only on the connection's event loop.
public final class InputProgress: @unchecked Sendable {
    /// Set while part of a request line or body is buffered; nil between requests.
    var since: NIODeadline?
    /// What is being received, for the message: "request line" or "body".
    var what = "request line"

    public init() {}
}

/// The limits a connection enforces, fixed when it is accepted.
public struct FrameLimits: Sendable {
    public var maxLineBytes: Int
    public var maxBodyBytes: Int

    public init(maxLineBytes: Int, maxBodyBytes: Int) {
        self.maxLineBytes = maxLineBytes
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Splits the byte stream into request lines and heredoc bodies, enforcing the limits without
/// ever buffering more than a limit's worth: an oversize line or body is skipped to its end
/// and answered with its own error, and the connection goes on.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame

    private enum State {
        case line
        /// Skipping the rest of an oversize line; `tail` keeps its last bytes, which may
        /// announce a heredoc body that must be skipped too.
        case discardingLine(tag: String?, seen: Int, tail: [UInt8])
        case body(Body)
    }

    private struct Body {
        var request: RequestLine?
        var tag: String?
        /// An error found on the request line, answered once the body has been skipped.
        var pending: ControlError?
        var word: String
        var bytes: [UInt8] = []
        var overflow = false
        /// Inside a line that is already longer than the terminator.
        var midLine = false
        /// Skipped as it arrives, never buffered: its request was refused or failed.
        var discard = false
        /// Whether the screen has decided that the body is wanted.
        var decided = true
        /// Kept as bytes, lines as received: the command takes any encoding.
        var raw = false
        /// The body's share of the budget (nil without a budget).
        var lease: BodyLease?
    }

    private let limits: FrameLimits
    private let budget: BodyBudget?
    private let progress: InputProgress?
    private let screen: (@Sendable (RequestLine) -> BodyVerdict)?
    private var state = State.line
    /// Enough of an oversize line's end to see ` <<WORD`.
    static let tailKept = Lexer.maxHeredocWordLength + 4

    /// The last bytes of an oversize line that can still show ` <<WORD` at its end, with each
    /// run of blanks kept as one space: the lexer allows any number of them before the word
    /// and after it, and a line cut into reads must be judged as the same line read whole
    /// (` <<END` followed by 40 spaces was a heredoc read whole, not in pieces: fuzzing finding).
    static func tail(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        for b in bytes {
            let blank = b == 0x20 || b == 0x09
            if blank, out.last == 0x20 { continue }
            out.append(blank ? 0x20 : b)
        }
        return Array(out.suffix(tailKept))
    }

    /// - Parameters:
    ///   - budget: the daemon-wide budget bodies are held against (nil: only `maxBodyBytes`).
    ///   - progress: told when a request starts and ends arriving (for ``InputDeadline``).
    ///   - screen: asked, at the request line, whether its body is wanted.
    public init(limits: FrameLimits, budget: BodyBudget? = nil, progress: InputProgress? = nil,
                screen: (@Sendable (RequestLine) -> BodyVerdict)? = nil) {
        self.limits = limits
        self.budget = budget
        self.progress = progress
        self.screen = screen
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let result = step(context: context, buffer: &buffer)
        guard let progress else { return result }
        if result == .continue {
            progress.since = nil
        } else if case .line = state, buffer.readableBytes == 0 {
            progress.since = nil
        } else if progress.since == nil {
            progress.since = .now()
            if case .body = state { progress.what = "body" } else { progress.what = "request line" }
        }
        return result
    }

    public mutating func decoderRemoved(context: ChannelHandlerContext) {
        // A body cut off by the connection's end gives its bytes back now.
        if case .body(let body) = state { body.lease?.releaseAll() }
        state = .line
    }

    private mutating func step(context: ChannelHandlerContext, buffer: inout ByteBuffer) -> DecodingState {
        switch state {
        case .line:
            if let newline = Self.newline(in: buffer) {
                let length = newline - buffer.readerIndex
                let line = buffer.readBytes(length: length)!
                buffer.moveReaderIndex(forwardBy: 1)
                if let frame = handleLine(line) { context.fireChannelRead(wrapInboundOut(frame)) }
                return .continue
            }
            if buffer.readableBytes > limits.maxLineBytes + 1 {
                let tag = Self.tagGuess(buffer.readableBytesView.prefix(80))
                state = .discardingLine(tag: tag, seen: buffer.readableBytes, tail: Self.tail(buffer.readableBytesView))
                buffer.moveReaderIndex(to: buffer.writerIndex)
            }
            return .needMoreData

        case .discardingLine(let tag, let seen, let tail):
            if let newline = Self.newline(in: buffer) {
                let total = seen + newline - buffer.readerIndex
                var end = tail + buffer.readableBytesView[buffer.readerIndex..<newline]
                if end.last == 0x0D { end.removeLast() }
                end = Self.tail(end)
                buffer.moveReaderIndex(to: newline + 1)
                if let word = Lexer.heredocWord(end) {
                    state = .body(Body(request: nil, tag: tag, pending: lineTooLong(total), word: word, discard: true))
                    return .continue
                }
                state = .line
                context.fireChannelRead(wrapInboundOut(.failure(tag: tag, lineTooLong(total))))
                return .continue
            }
            let kept = Self.tail(tail + buffer.readableBytesView)
            state = .discardingLine(tag: tag, seen: seen + buffer.readableBytes, tail: kept)
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData

        case .body(var body):
            state = .line  // drop the enum's reference so appending to the body does not copy it
            var early: Frame?
            let done = decodeBody(&body, buffer: &buffer) { early = $0 }
            // A refusal decided mid-body is answered at once; the rest is discarded.
            if let early { context.fireChannelRead(wrapInboundOut(early)) }
            if done {
                if let frame = finish(body) { context.fireChannelRead(wrapInboundOut(frame)) }
                return .continue
            }
            state = .body(body)
            return .needMoreData
        }
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last line without a newline is still a request (`printf ping | socat …`).
        if case .line = state, buffer.readableBytes > 0 {
            let line = buffer.readBytes(length: buffer.readableBytes)!
            if let frame = handleLine(line) { context.fireChannelRead(wrapInboundOut(frame)) }
        }
        if case .body(let body) = state {
            body.lease?.releaseAll()
            if !(body.discard && body.pending == nil) {
                context.fireChannelRead(wrapInboundOut(.failure(tag: body.tag,
                    .syntax("input ended before the heredoc terminator line '\(body.word)'"))))
            }
            state = .line
        }
        return .needMoreData
    }

    /// Consumes body lines; true once the terminator line is seen. `answer` gets a refusal
    /// decided on the way (the screen's, or the budget's).
    private mutating func decodeBody(_ body: inout Body, buffer: inout ByteBuffer, answer: (Frame) -> Void) -> Bool {
        if !body.decided, let screen, let request = body.request {
            switch screen(request) {
            case .accept: body.decided = true
            case .acceptBytes:
                body.decided = true
                body.raw = true
            case .refuse(let error):
                refuse(&body)
                answer(.failure(tag: body.tag, error))
            case .undecided: break
            }
        }
        while true {
            guard let newline = Self.newline(in: buffer) else {
                // Keep a short tail: it may be the start of the terminator line. The rest of
                // a long line is taken now (counted, or dropped), never left in the buffer.
                let movable = buffer.readableBytes - (body.word.utf8.count + 2)
                if movable > 0 {
                    buffer.withUnsafeReadableBytes { store(UnsafeRawBufferPointer(rebasing: $0.prefix(movable)), newline: false, &body, answer) }
                    buffer.moveReaderIndex(forwardBy: movable)
                    body.midLine = true
                }
                return false
            }
            let length = newline - buffer.readerIndex
            let wasMidLine = body.midLine
            body.midLine = false
            let isTerminator = buffer.withUnsafeReadableBytes { raw -> Bool in
                let whole = UnsafeRawBufferPointer(rebasing: raw.prefix(length))
                var line = whole
                if line.last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
                if !wasMidLine, line.elementsEqual(body.word.utf8) { return true }
                // A body taken as bytes keeps its CRs: in UTF-16 a 0x0D byte before a line feed
                // byte can be half of a character.
                store(body.raw ? whole : line, newline: true, &body, answer)
                return false
            }
            buffer.moveReaderIndex(forwardBy: length + 1)
            if isTerminator { return true }
        }
    }

    /// Adds body bytes, within `max_body_bytes` and the daemon's body budget.
    /// The index of the buffer's first newline: memchr, as the bytes of a 16 MiB body are
    /// scanned once each (and the generic search is slow in a debug build).
    static func newline(in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { raw -> Int? in
            guard let base = raw.baseAddress, let hit = memchr(base, 0x0A, raw.count) else { return nil }
            return buffer.readerIndex + (UnsafeRawPointer(hit) - base)
        }
    }

    private func store(_ bytes: UnsafeRawBufferPointer, newline: Bool, _ body: inout Body, _ answer: (Frame) -> Void) {
        guard !body.discard, !body.overflow else { return }
        let n = bytes.count + (newline ? 1 : 0)
        if body.bytes.count + n > limits.maxBodyBytes {
            body.overflow = true
            body.bytes = []
            body.lease?.releaseAll()
            return
        }
        if let budget {
            if body.lease == nil { body.lease = BodyLease(budget) }
            guard body.lease!.grow(n) else {
                refuse(&body)
                answer(.failure(tag: body.tag, .unavailable(
                    "bodies being received and waiting on every connection already hold \(budget.inUse) bytes, the limit is "
                    + "\(budget.limit) (max_buffered_body_bytes); this body is discarded as it arrives: send it again later")))
                return
            }
        }
        body.bytes.append(contentsOf: bytes)
        if newline { body.bytes.append(0x0A) }
    }

    /// From now on the body is skipped; it was answered already.
    private func refuse(_ body: inout Body) {
        body.discard = true
        body.decided = true
        body.request = nil
        body.bytes = []
        body.lease?.releaseAll()
    }

    /// The frame for a body whose terminator was seen (nil: it was answered already).
    private func finish(_ body: Body) -> Frame? {
        if let pending = body.pending { return .failure(tag: body.tag, pending) }
        if body.discard { return nil }
        if body.overflow {
            return .failure(tag: body.tag, .bodyTooLong("the body exceeds \(limits.maxBodyBytes) bytes (max_body_bytes); it was read and discarded"))
        }
        // Still undecided (the peer was identified only now): the dispatcher checks role,
        // command and the body's encoding again anyway.
        if body.raw || !body.decided { return .request(body.request!, body: nil, lease: body.lease, bytes: body.bytes) }
        if let refusal = Self.utf8Problem(body.bytes) {
            body.lease?.releaseAll()
            return .failure(tag: body.tag, refusal)
        }
        return .request(body.request!, body: String(decoding: body.bytes, as: UTF8.self), lease: body.lease)
    }

    /// The `415 invalid_utf8` refusal of a text body that is not UTF-8, or nil.
    static func utf8Problem(_ bytes: [UInt8]) -> ControlError? {
        guard let bad = UTF8Check.firstInvalidByte(bytes) else { return nil }
        let lineNumber = bytes[..<bad].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        return .invalidUTF8("body line \(lineNumber) is not valid UTF-8 (byte \(bad + 1) of the body)")
    }

    private func lineTooLong(_ length: Int) -> ControlError {
        .lineTooLong("the request line is \(length) bytes, over the limit of \(limits.maxLineBytes) (max_line_bytes); it was discarded")
    }

    /// Turns one line into a frame; nil for empty and comment lines.
    private mutating func handleLine(_ raw: [UInt8]) -> Frame? {
        var bytes = raw
        if bytes.last == 0x0D { bytes.removeLast() }
        let tag = Self.tagGuess(bytes.prefix(80))
        var error: ControlError
        if bytes.count > limits.maxLineBytes {
            error = lineTooLong(bytes.count)
            // Judged on the same tail as a line that arrived in pieces, so both agree.
            if let word = Lexer.heredocWord(Self.tail(bytes)) {
                state = .body(Body(request: nil, tag: tag, pending: error, word: word, discard: true))
                return nil
            }
            return .failure(tag: tag, error)
        }
        if let bad = UTF8Check.firstInvalidByte(bytes) {
            error = .invalidUTF8("the request line is not valid UTF-8 at byte \(bad + 1)")
        } else {
            do {
                guard let request = try Lexer.parse(String(decoding: bytes, as: UTF8.self)) else { return nil }
                if let word = request.heredoc {
                    switch screen?(request) ?? .accept {
                    case .accept:
                        state = .body(Body(request: request, tag: request.tag, word: word))
                        return nil
                    case .acceptBytes:
                        state = .body(Body(request: request, tag: request.tag, word: word, raw: true))
                        return nil
                    case .undecided:
                        state = .body(Body(request: request, tag: request.tag, word: word, decided: false))
                        return nil
                    case .refuse(let refusal):
                        // Answered now; the body is skipped as it arrives, never buffered.
                        state = .body(Body(request: nil, tag: request.tag, word: word, discard: true))
                        return .failure(tag: request.tag, refusal)
                    }
                }
                return .request(request, body: nil)
            } catch let e {
                error = e
            }
        }
        // A bad line that announces a body: skip the body too, or its lines would run as requests.
        if let word = Lexer.heredocWord(bytes) {
            state = .body(Body(request: nil, tag: tag, pending: error, word: word, discard: true))
            return nil
        }
        return .failure(tag: tag, error)
    }

    /// The tag of a line that could not be parsed, when its start is readable.
    static func tagGuess<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
        guard bytes.first == UInt8(ascii: "@") else { return nil }
        let tag = bytes.dropFirst().prefix { Lexer.isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
            || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }
        guard !tag.isEmpty, tag.count <= Lexer.maxTagLength else { return nil }
        // Only a tag that ends where the lexer expects it: `@bad!tag` has none.
        let after = bytes.dropFirst(tag.count + 1).first
        guard after == nil || after == 0x20 || after == 0x09 else { return nil }
        return String(decoding: tag, as: UTF8.self)
    }
}
