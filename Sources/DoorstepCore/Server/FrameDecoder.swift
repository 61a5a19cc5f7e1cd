public import DoorstepProtocol
public import NIOCore

/// What the decoder hands the connection: a parsed request, or an error to answer.
public enum Frame: Sendable {
    /// A request with its heredoc body, if any.
    case request(RequestLine, body: String?)
    /// A line or body that could not be accepted; the tag is recovered when possible.
    case failure(tag: String?, ControlError)
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
    }

    private let limits: FrameLimits
    private var state = State.line
    /// Enough of an oversize line's end to see ` <<WORD`.
    static let tailKept = Lexer.maxHeredocWordLength + 4

    public init(limits: FrameLimits) { self.limits = limits }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch state {
        case .line:
            if let newline = buffer.readableBytesView.firstIndex(of: 0x0A) {
                let length = newline - buffer.readerIndex
                let line = buffer.readBytes(length: length)!
                buffer.moveReaderIndex(forwardBy: 1)
                if let frame = handleLine(line) { context.fireChannelRead(wrapInboundOut(frame)) }
                return .continue
            }
            if buffer.readableBytes > limits.maxLineBytes + 1 {
                let tag = Self.tagGuess(buffer.readableBytesView.prefix(80))
                state = .discardingLine(tag: tag, seen: buffer.readableBytes, tail: Array(buffer.readableBytesView.suffix(Self.tailKept)))
                buffer.moveReaderIndex(to: buffer.writerIndex)
            }
            return .needMoreData

        case .discardingLine(let tag, let seen, let tail):
            if let newline = buffer.readableBytesView.firstIndex(of: 0x0A) {
                let total = seen + newline - buffer.readerIndex
                var end = Array((tail + buffer.readableBytesView[buffer.readerIndex..<newline]).suffix(Self.tailKept))
                if end.last == 0x0D { end.removeLast() }
                buffer.moveReaderIndex(to: newline + 1)
                if let word = Lexer.heredocWord(end) {
                    state = .body(Body(request: nil, tag: tag, pending: lineTooLong(total), word: word))
                    return .continue
                }
                state = .line
                context.fireChannelRead(wrapInboundOut(.failure(tag: tag, lineTooLong(total))))
                return .continue
            }
            let kept = Array((tail + buffer.readableBytesView).suffix(Self.tailKept))
            state = .discardingLine(tag: tag, seen: seen + buffer.readableBytes, tail: kept)
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData

        case .body(var body):
            state = .line  // drop the enum's reference so appending to the body does not copy it
            if let frame = decodeBody(&body, buffer: &buffer) {
                state = .line
                context.fireChannelRead(wrapInboundOut(frame))
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
            context.fireChannelRead(wrapInboundOut(.failure(tag: body.tag,
                .syntax("input ended before the heredoc terminator line '\(body.word)'"))))
            state = .line
        }
        return .needMoreData
    }

    /// Consumes body lines; returns the frame once the terminator line is seen.
    private mutating func decodeBody(_ body: inout Body, buffer: inout ByteBuffer) -> Frame? {
        while true {
            guard let newline = buffer.readableBytesView.firstIndex(of: 0x0A) else {
                // Keep a short tail: it may be the start of the terminator line.
                let keep = body.word.utf8.count + 2
                if buffer.readableBytes > keep, body.overflow || body.bytes.count + buffer.readableBytes > limits.maxBodyBytes {
                    body.overflow = true
                    body.bytes = []
                    body.midLine = true
                    buffer.moveReaderIndex(to: buffer.writerIndex)
                }
                return nil
            }
            let length = newline - buffer.readerIndex
            let wasMidLine = body.midLine
            body.midLine = false
            var line = buffer.readableBytesView[buffer.readerIndex..<newline]
            if line.last == 0x0D { line = line.dropLast() }
            if !wasMidLine, line.elementsEqual(body.word.utf8) {
                buffer.moveReaderIndex(forwardBy: length + 1)
                return finish(body)
            }
            if !body.overflow {
                if body.bytes.count + length + 1 > limits.maxBodyBytes {
                    body.overflow = true
                    body.bytes = []
                } else {
                    body.bytes.append(contentsOf: line)
                    body.bytes.append(0x0A)
                }
            }
            buffer.moveReaderIndex(forwardBy: length + 1)
        }
    }

    private func finish(_ body: Body) -> Frame {
        if let pending = body.pending { return .failure(tag: body.tag, pending) }
        if body.overflow {
            return .failure(tag: body.tag, .bodyTooLong("the body exceeds \(limits.maxBodyBytes) bytes (max_body_bytes); it was read and discarded"))
        }
        if let bad = UTF8Check.firstInvalidByte(body.bytes) {
            let lineNumber = body.bytes[..<bad].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            return .failure(tag: body.tag, .invalidUTF8("body line \(lineNumber) is not valid UTF-8 (byte \(bad + 1) of the body)"))
        }
        return .request(body.request!, body: String(decoding: body.bytes, as: UTF8.self))
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
            if let word = Lexer.heredocWord(bytes) {
                state = .body(Body(request: nil, tag: tag, pending: error, word: word))
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
                    state = .body(Body(request: request, tag: request.tag, word: word))
                    return nil
                }
                return .request(request, body: nil)
            } catch let e {
                error = e
            }
        }
        // A bad line that announces a body: skip the body too, or its lines would run as requests.
        if let word = Lexer.heredocWord(bytes) {
            state = .body(Body(request: nil, tag: tag, pending: error, word: word))
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
