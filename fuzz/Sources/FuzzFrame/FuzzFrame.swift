@testable import DoorstepCore
import DoorstepProtocol
import NIOCore
import NIOEmbedded

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz invariant: \(message())") }
}

/// The decoder under test. The one place to adapt when FrameDecoder's init changes.
func makeDecoder(maxLine: Int, maxBody: Int) -> FrameDecoder {
    FrameDecoder(limits: FrameLimits(maxLineBytes: maxLine, maxBodyBytes: maxBody))
}

/// Runs the decoder the way ByteToMessageHandler does (decode until .needMoreData, decodeLast
/// at EOF) over its own cumulation buffer, so the bytes it leaves buffered can be checked.
final class Driver: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Frame
    var decoder: FrameDecoder
    var buffer = ByteBuffer()
    let bound: Int

    init(_ decoder: FrameDecoder, bound: Int) { self.decoder = decoder; self.bound = bound }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        buffer.writeBuffer(&chunk)
        do {
            while try decoder.decode(context: context, buffer: &buffer) == .continue {}
        } catch {
            fatalError("fuzz invariant: decode threw \(error)")
        }
        // Never more than a limit's worth kept between reads.
        check(buffer.readableBytes <= bound, "\(buffer.readableBytes) bytes buffered, bound \(bound)")
        buffer.discardReadBytes()
    }

    func finish(context: ChannelHandlerContext) {
        do {
            _ = try decoder.decodeLast(context: context, buffer: &buffer, seenEOF: true)
        } catch {
            fatalError("fuzz invariant: decodeLast threw \(error)")
        }
    }
}

/// What a frame means to the connection, for comparing two runs (messages may name byte counts
/// that depend on where reads were cut, so only the error's name is kept).
func summary(_ frame: Frame) -> String {
    switch frame {
    case .request(let request): return "request \(request.0) body \(request.body.map { Array($0.utf8) }.debugDescription)"
    case .failure(let tag, let e): return "failure \(tag ?? "-") \(e.name)"
    }
}

/// Feeds `stream` in reads of the given sizes (cycled); returns the frames, checking each.
func run(_ stream: ArraySlice<UInt8>, reads: [Int], maxLine: Int, maxBody: Int) -> [Frame] {
    let channel = EmbeddedChannel()
    let bound = max(maxLine + 1, maxBody, Lexer.maxHeredocWordLength + 2)
    let driver = Driver(makeDecoder(maxLine: maxLine, maxBody: maxBody), bound: bound)
    do {
        try channel.pipeline.syncOperations.addHandler(driver)
        var rest = stream
        var i = 0
        while !rest.isEmpty {
            let n = reads.isEmpty ? rest.count : max(1, reads[i % reads.count])
            i += 1
            try channel.writeInbound(ByteBuffer(bytes: rest.prefix(n)))
            rest = rest.dropFirst(n)
        }
        let context = try channel.pipeline.syncOperations.context(handler: driver)
        driver.finish(context: context)
    } catch {
        fatalError("fuzz invariant: channel error \(error)")
    }
    var frames: [Frame] = []
    while let frame = try? channel.readInbound(as: Frame.self) { frames.append(frame) }
    _ = try? channel.finish()
    for frame in frames {
        switch frame {
        case .request(let request):
            // The whole payload as one tuple: FrameDecoder's cases may gain fields (a body lease).
            let (r, body) = (request.0, request.body)
            check(!r.words.isEmpty, "request without words")
            if let body {
                check(r.heredoc != nil, "body without a heredoc word")
                check(body.utf8.count <= maxBody, "body of \(body.utf8.count) bytes over max_body_bytes \(maxBody)")
                check(body.isEmpty || body.utf8.last == 0x0A, "body not ending in a newline")
            } else {
                check(r.heredoc == nil, "heredoc request without a body")
            }
        case .failure(_, let e):
            check([400, 413, 414, 415].contains(e.code), "unexpected error \(e)")
        }
    }
    return frames
}

/// Input: bytes 0 and 1 pick small limits (so oversize paths are reached), byte 2 a read size
/// pattern; the rest is the stream. Invariants: no trap, nothing over a limit buffered or
/// delivered, and the same frames whether the stream comes in one read or in pieces.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // At least 80 (the config's minimum is 256): an oversize line's tag is guessed from its
    // first 80 bytes, so a smaller limit can cut the tag short, depending on the reads.
    let maxLine = 80 + Int(bytes[0] % 128)
    let maxBody = Int(bytes[1])
    let pattern = bytes[2]
    let stream = bytes[3...]
    let reads = [1 + Int(pattern & 0x0F), 1 + Int(pattern >> 4), 1]
    let whole = run(stream, reads: [], maxLine: maxLine, maxBody: maxBody).map(summary)
    let pieces = run(stream, reads: reads, maxLine: maxLine, maxBody: maxBody).map(summary)
    check(whole == pieces, "frames depend on read boundaries (reads \(reads)):\n  whole:  \(whole)\n  pieces: \(pieces)")
    return 0
}
