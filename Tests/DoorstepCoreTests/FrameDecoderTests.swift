@testable import DoorstepCore
import DoorstepProtocol
import NIOCore
import NIOEmbedded
import Testing

@Suite("Frame decoder")
struct FrameDecoderTests {
    /// Feeds `chunks` into a decoder with the given limits and returns the frames it produced.
    func frames(_ chunks: [[UInt8]], maxLine: Int = 64, maxBody: Int = 256, eof: Bool = false) throws -> [Frame] {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(FrameDecoder(limits: FrameLimits(maxLineBytes: maxLine, maxBodyBytes: maxBody))))
        for chunk in chunks { try channel.writeInbound(ByteBuffer(bytes: chunk)) }
        if eof { _ = try channel.finish() }
        var out: [Frame] = []
        while let frame = try channel.readInbound(as: Frame.self) { out.append(frame) }
        return out
    }

    func frames(_ text: String, maxLine: Int = 64, maxBody: Int = 256) throws -> [Frame] {
        try frames([Array(text.utf8)], maxLine: maxLine, maxBody: maxBody)
    }

    func errorName(_ frame: Frame) -> String? {
        if case .failure(_, let e) = frame { return e.name }
        return nil
    }

    /// A body screened as bytes (``BodyVerdict/acceptBytes``) is handed over exactly: CRs kept,
    /// bytes that are not UTF-8 kept; the same bytes for a text command are `415`.
    @Test func aBodyTakenAsBytesIsKeptExactlyAndTextBodiesStillNeedUTF8() throws {
        func decode(_ verdict: BodyVerdict) throws -> [Frame] {
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(
                limits: FrameLimits(maxLineBytes: 64, maxBodyBytes: 256), screen: { _ in verdict })))
            // GB18030 "楼栋" then UTF-16LE "A\r\n" (0D 00 0A 00: the CR byte is half a character).
            try channel.writeInbound(ByteBuffer(bytes: Array("x.import <<E\n".utf8) + [0xC2, 0xA5, 0xB6, 0xB0, 0x0D, 0x0A]
                + [0x41, 0x00, 0x0D, 0x00, 0x0A, 0x00, 0x0A] + Array("E\r\n".utf8)))
            var out: [Frame] = []
            while let frame = try channel.readInbound(as: Frame.self) { out.append(frame) }
            return out
        }
        let raw = try decode(.acceptBytes)
        guard case .request(_, nil, _, let bytes?) = raw.first else { Issue.record("expected bytes: \(raw)"); return }
        #expect(bytes == [0xC2, 0xA5, 0xB6, 0xB0, 0x0D, 0x0A, 0x41, 0x00, 0x0D, 0x00, 0x0A, 0x00, 0x0A])
        let text = try decode(.accept)
        #expect(errorName(text[0]) == "invalid_utf8")
        if case .failure(_, let e) = text[0] { #expect(e.message == "body line 1 is not valid UTF-8 (byte 3 of the body)") }
    }

    @Test func linesBecomeRequestsAndBlankLinesVanish() throws {
        let out = try frames("ping\r\n\n# comment\n@a status\n")
        #expect(out.count == 2)
        guard case .request(let r, nil, _, _) = out[1] else { Issue.record("not a request"); return }
        #expect(r.tag == "a")
    }

    @Test func requestSplitAcrossReads() throws {
        let out = try frames([Array("pi".utf8), Array("ng\nprobe.echo 王".utf8), Array("芳\n".utf8)])
        #expect(out.count == 2)
        guard case .request(let r, _, _, _) = out[1] else { Issue.record("not a request"); return }
        #expect(r.words[1] == .positional("王芳"))
    }

    @Test func oversizeLineIsSkippedAndAnswered() throws {
        let long = "@big probe.echo " + String(repeating: "x", count: 200)
        let out = try frames([Array(long.utf8), Array(String(repeating: "y", count: 100).utf8), Array("\nping\n".utf8)])
        #expect(out.count == 2)
        guard case .failure(let tag, let e) = out[0] else { Issue.record("expected failure"); return }
        #expect(e.code == 414)
        #expect(tag == "big")
        #expect(e.message.contains("316 bytes"))
        guard case .request = out[1] else { Issue.record("ping lost"); return }
    }

    @Test func oversizeLineInOneRead() throws {
        let out = try frames(String(repeating: "z", count: 65) + "\nping\n")
        #expect(out.count == 2)
        #expect(errorName(out[0]) == "line_too_long")
    }

    /// An oversize line ending in ` <<EOF` and then many blanks announces a body whether it
    /// arrives whole or in pieces (whole, it was a heredoc; in pieces the blanks pushed
    /// `<<EOF` out of the kept tail, and the body's lines ran as requests: fuzzing finding).
    @Test func anOversizeHeredocLineEndingInBlanksIsJudgedTheSameInPieces() throws {
        let long = "probe.body " + String(repeating: "x", count: 100) + " \t <<EOF" + String(repeating: " ", count: 60) + "\r\n"
        let body = "probe.echo INJECTED\nEOF\nping\n"
        let bytes = Array((long + body).utf8)
        var results: [[String]] = []
        for size in [bytes.count, 1, 3, 7, 40] {
            let chunks = stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
            results.append(try frames(chunks).map { frame in
                if case .request(let r, _, _, _) = frame { return "request \(r.words)" }
                return errorName(frame) ?? "?"
            })
        }
        #expect(results.allSatisfy { $0 == ["line_too_long", "request [DoorstepProtocol.Argument.positional(\"ping\")]"] }, "\(results)")
        // The fuzzer's input, whole and in reads of 4, 8 and 1 bytes.
        let found: [UInt8] = [0x00, 0x40, 0x73, 0x40, 0x20] + Array(repeating: 0x78, count: 15) + [0x3C, 0x42, 0x0A, 0x0A, 0x42, 0x0A, 0x00, 0x20, 0x42, 0xBC]
            + Array("xxxRandomNumbo ".utf8) + Array(repeating: 0x78, count: 22) + Array(repeating: 0x20, count: 11) + Array("tGvc~ <<ENimport".utf8)
            + Array(repeating: 0x20, count: 31) + [0x0A]
        let whole = try frames([found], maxLine: 80, maxBody: 64, eof: true).map { errorName($0) ?? "request" }
        var cuts: [[UInt8]] = [], at = 0, i = 0
        while at < found.count {
            let n = [4, 8, 1][i % 3]
            cuts.append(Array(found[at..<min(at + n, found.count)]))
            at += n
            i += 1
        }
        #expect(try frames(cuts, maxLine: 80, maxBody: 64, eof: true).map { errorName($0) ?? "request" } == whole)
    }

    @Test func oversizeLineWithABodySkipsTheBody() throws {
        let long = "@big probe.body " + String(repeating: "x", count: 300) + " <<EOF\n"
        let body = "ping\nprobe.echo INJECTED\nEOF\nping\n"
        for chunks in [[Array((long + body).utf8)], [Array(long.utf8.prefix(100)), Array(long.utf8.dropFirst(100)), Array(body.utf8)],
                       [Array(long.utf8.dropLast(4)), Array((String(long.suffix(4)) + body).utf8)]] {
            let out = try frames(chunks)
            #expect(out.count == 2, "the body's lines are not requests: \(out)")
            guard case .failure(let tag, let e) = out[0] else { Issue.record("expected failure"); continue }
            #expect(tag == "big")
            #expect(e.code == 414)
            guard case .request(let r, _, _, _) = out[1] else { Issue.record("ping lost"); continue }
            #expect(r.words == [.positional("ping")])
        }
    }

    @Test func aTagIsRecoveredOnlyWhenItIsWhole() {
        #expect(FrameDecoder.tagGuess(Array("@good ping".utf8)) == "good")
        #expect(FrameDecoder.tagGuess(Array("@bad!tag ping".utf8)) == nil)
    }

    @Test func invalidUTF8IsLocatedAndTheTagKept() throws {
        let out = try frames([Array("@u probe.echo ".utf8) + [0xE7, 0x8E] + Array(" x\nping\n".utf8)])
        #expect(out.count == 2)
        guard case .failure(let tag, let e) = out[0] else { Issue.record("expected failure"); return }
        #expect(e.code == 415)
        #expect(tag == "u")
        #expect(e.message.contains("byte 15"))
    }

    @Test func heredocBody() throws {
        let out = try frames("probe.body <<END\nbuilding,unit\n3,2\nEND\nping\n")
        #expect(out.count == 2)
        guard case .request(_, let body, _, _) = out[0] else { Issue.record("expected request"); return }
        #expect(body == "building,unit\n3,2\n")
    }

    @Test func heredocTerminatorSplitAcrossReads() throws {
        let out = try frames([Array("probe.body <<END\nab\nE".utf8), Array("N".utf8), Array("D\r\nping\n".utf8)])
        #expect(out.count == 2)
        guard case .request(_, let body, _, _) = out[0] else { Issue.record("expected request"); return }
        #expect(body == "ab\n")
    }

    @Test func oversizeBodyIsDiscardedToItsTerminator() throws {
        let big = String(repeating: "row,值\n", count: 100)
        let out = try frames([Array("@b probe.body <<E\n".utf8), Array(big.utf8), Array("E\nping\n".utf8)], maxBody: 128)
        #expect(out.count == 2)
        guard case .failure(let tag, let e) = out[0] else { Issue.record("expected failure"); return }
        #expect(e.code == 413)
        #expect(tag == "b")
    }

    @Test func oversizeBodyLineWithoutNewlines() throws {
        let out = try frames([Array("probe.body <<E\n".utf8), Array(repeating: 0x61, count: 1000), Array("\nE\nping\n".utf8)], maxBody: 128)
        #expect(out.count == 2)
        #expect(errorName(out[0]) == "body_too_long")
    }

    @Test func invalidUTF8InBodyNamesTheLine() throws {
        let out = try frames([Array("probe.body <<E\nok\n".utf8) + [0xFF] + Array("\nE\n".utf8)])
        #expect(out.count == 1)
        guard case .failure(_, let e) = out[0] else { Issue.record("expected failure"); return }
        #expect(e.code == 415)
        #expect(e.message.contains("body line 2"))
    }

    @Test func badLineWithHeredocSkipsItsBody() throws {
        let out = try frames("probe.body \"x <<E\nnot a request\nE\nping\n")
        #expect(out.count == 2)
        #expect(errorName(out[0]) == "syntax_error")
        guard case .request(let r, _, _, _) = out[1] else { Issue.record("ping lost"); return }
        #expect(r.words == [.positional("ping")])
    }

    @Test func lastLineWithoutNewlineAtEOF() throws {
        let out = try frames([Array("ping\nstatus".utf8)], eof: true)
        #expect(out.count == 2)
    }

    @Test func eofInsideBodyIsReported() throws {
        let out = try frames([Array("probe.body <<E\nabc\n".utf8)], eof: true)
        #expect(out.count == 1)
        #expect(errorName(out[0]) == "syntax_error")
    }
}
