import Foundation
import Testing

@Suite("Bad input never costs the connection", .serialized)
final class BadInputTests {
    let daemon: DaemonProcess

    init() throws {
        daemon = try DaemonProcess(config: "[daemon]\nmax_line_bytes = 1024\nmax_body_bytes = 4096\n" + DaemonProcess.probeConfig)
    }

    deinit { daemon.stop() }

    /// Sends `bytes`, expects one reply with `code name`, then checks `ping` on the same connection.
    func expectError(_ bytes: [UInt8], _ prefix: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let c = try daemon.client()
        try c.send(bytes)
        let reply = try c.readReply()
        #expect(reply.final.hasPrefix(prefix), "\(reply)", sourceLocation: sourceLocation)
        #expect(try c.request("ping") == ["200 pong"], sourceLocation: sourceLocation)
    }

    /// A last request without a newline, then end of input (`printf ping | socat …`): it is
    /// still answered, whichever way the daemon answers it.
    @Test(arguments: ["ping", "nosuch", "@t probe.echo 最后", "roster.household 1-1-101"])
    func aFinalRequestWithoutNewlineBeforeEndOfInputIsAnswered(line: String) throws {
        for _ in 0..<5 {
            let c = try daemon.client()
            try c.send(line)
            #expect(shutdown(c.fd, Int32(SHUT_WR)) == 0)
            let reply = try c.readReply(timeout: 5)
            #expect(!reply.isEmpty, "\(line): no reply")
            #expect(reply.last?.hasPrefix(line.hasPrefix("@t") ? "@t 200" : (line == "ping" ? "200 pong" : "4")) == true, "\(line): \(reply)")
        }
    }

    /// A peer that sends and never reads: the daemon stops reading from it once the socket is
    /// full instead of buffering answers without end.
    @Test func aPeerThatNeverReadsIsNotBufferedWithoutEnd() throws {
        let c = try daemon.client()
        let flags = fcntl(c.fd, F_GETFL)
        #expect(fcntl(c.fd, F_SETFL, flags | O_NONBLOCK) == 0)
        let chunk = Array(String(repeating: "ping\n", count: 4096).utf8)
        /// Writes for `seconds`, or (with `untilStalled`) until nothing was taken for that
        /// long: a loaded machine fills the buffers later, not less.
        func push(for seconds: Double, untilStalled: Bool = false) -> Int {
            var accepted = 0
            let end = Date().addingTimeInterval(untilStalled ? 20 : seconds)
            var lastProgress = Date()
            while Date() < end, !untilStalled || Date().timeIntervalSince(lastProgress) < seconds {
                let n = chunk.withUnsafeBytes { write(c.fd, $0.baseAddress, $0.count) }
                if n > 0 { accepted += n; lastProgress = Date() } else { usleep(5_000) }
            }
            return accepted
        }
        let first = push(for: 1.5, untilStalled: true)
        let later = push(for: 1.5)
        // Once the buffers are full the daemon must stop taking more (it kept reading before).
        #expect(first < 16 << 20, "the daemon took \(first >> 10) KiB from a peer that reads nothing")
        #expect(later < 64 << 10, "the daemon went on reading: \(later >> 10) KiB more after the buffers were full")
        #expect(try daemon.client().request("ping") == ["200 pong"])
    }

    @Test func lineTooLong() throws {
        try expectError(Array(("@long probe.echo " + String(repeating: "长", count: 2000) + "\n").utf8), "414 line_too_long: the request line is 6017 bytes")
    }

    @Test func lineTooLongKeepsTheTag() throws {
        let c = try daemon.client()
        try c.send("@t7 probe.echo " + String(repeating: "x", count: 5000) + "\n")
        #expect(try c.readReply().first?.hasPrefix("@t7 414 line_too_long") == true)
    }

    @Test func bodyTooLong() throws {
        let body = String(repeating: "3,2,501,王芳\n", count: 500)
        try expectError(Array(("probe.body <<END\n" + body + "END\n").utf8), "413 body_too_long: the body exceeds 4096 bytes")
    }

    @Test func invalidUTF8() throws {
        try expectError(Array("probe.echo ".utf8) + [0xC3, 0x28] + Array("\n".utf8), "415 invalid_utf8: the request line is not valid UTF-8 at byte 12")
        try expectError(Array("probe.body <<E\n".utf8) + [0xFF, 0x0A] + Array("E\n".utf8), "415 invalid_utf8: body line 1")
    }

    @Test func unknownCommandSuggests() throws {
        try expectError(Array("stauts\n".utf8), "405 unknown_command: unknown command 'stauts'; did you mean 'status'?")
        try expectError(Array("probe ech x\n".utf8), "405 unknown_command: unknown command 'probe'; did you mean 'probe.echo'?")
    }

    @Test func badAndMissingArguments() throws {
        try expectError(Array("probe.sleep ms=soon\n".utf8), "422 invalid_argument: argument 'ms': expected an integer, got 'soon'")
        try expectError(Array("probe.sleep ms=99999999\n".utf8), "422 invalid_argument: argument 'ms': expected an integer ≤ 60000")
        try expectError(Array("probe.sleep\n".utf8), "420 missing_argument: missing argument 'ms'")
        try expectError(Array("probe.echo hi colour=red\n".utf8), "422 invalid_argument: probe.echo has no argument 'colour'")
        try expectError(Array("probe.body\n".utf8), "420 missing_argument: probe.body needs a body")
        try expectError(Array("ping <<E\nx\nE\n".utf8), "422 invalid_argument: ping takes no body")
    }

    @Test func syntaxErrors() throws {
        try expectError(Array("probe.echo \"open\n".utf8), "400 syntax_error: unterminated double quote opened at column 12")
        try expectError(Array("probe.echo \"\\x\"\n".utf8), "400 syntax_error: unknown escape")
        try expectError(Array("@ ping\n".utf8), "400 syntax_error: empty tag")
    }

    @Test func pluginFailureIs500AndTheDaemonLives() throws {
        try expectError(Array("probe.fail\n".utf8), "500 internal_error: probe.fail failed inside plugin probe")
    }

    @Test func garbageFloodDoesNotCrashTheDaemon() throws {
        let c = try daemon.client()
        var bytes: [UInt8] = []
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
        bytes += Array("\n\nE\nEND\n".utf8)
        try? c.send(bytes)
        let other = try daemon.client()
        #expect(try other.request("ping") == ["200 pong"])
    }

    @Test func clientVanishingMidRequestIsHarmless() throws {
        do {
            let c = try daemon.client()
            try c.send("probe.sleep ms=300\nprobe.body <<E\npartial")
        }
        usleep(500_000)
        #expect(try daemon.client().request("ping") == ["200 pong"])
    }
}

@Suite("Connection limits", .serialized)
struct ConnectionLimitTests {
    @Test func tooManyConnections() throws {
        let daemon = try DaemonProcess(config: "[daemon]\nmax_connections = 3\nadmin_reserved_connections = 0\n")
        defer { daemon.stop() }
        let kept = try (0..<3).map { _ in try daemon.client() }
        for c in kept { #expect(try c.request("ping") == ["200 pong"]) }
        let extra = try daemon.client()
        let reply = try extra.readReply()
        #expect(reply.final.hasPrefix("429 too_many_connections: 3 connections are open, the limit is 3"))
        #expect(extra.isClosed())
        #expect(try kept[0].request("ping") == ["200 pong"])
    }

    @Test func idleTimeout() throws {
        let daemon = try DaemonProcess(config: "[daemon]\nidle_timeout = 1\n" + DaemonProcess.probeConfig)
        defer { daemon.stop() }
        let idle = try daemon.client()
        let busy = try daemon.client()
        let subscribed = try daemon.client()
        #expect(try subscribed.request("subscribe probe.*").final.hasPrefix("200"))
        try busy.send("probe.sleep ms=2500\n")
        let line = try idle.readLine(timeout: 5)
        #expect(line == "408 idle_timeout: closing after 1 s without a request (idle_timeout)")
        #expect(idle.isClosed())
        #expect(try busy.readReply(timeout: 5) == ["200 slept"], "a request in flight is not idle")
        #expect(try subscribed.request("ping") == ["200 pong"], "subscribers are not closed")
    }
}

@Suite("Review follow-ups", .serialized)
struct HardeningTests {
    @Test func oversizeLineWithABodyDoesNotRunTheBody() throws {
        let daemon = try DaemonProcess(config: "[daemon]\nmax_line_bytes = 1024\n" + DaemonProcess.probeConfig)
        defer { daemon.stop() }
        let c = try daemon.client()
        try c.send("@big probe.body " + String(repeating: "x", count: 5000) + " <<EOF\nping\nprobe.echo INJECTED\nEOF\n@after ping\n")
        #expect(try c.readReply().final.hasPrefix("414 line_too_long"))
        #expect(try c.readReply() == ["@after 200 pong"])
    }

    @Test func longGarbageCommandsDoNotStallOthers() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let flood = try daemon.client()
        try flood.send(String(repeating: String(repeating: "z", count: 60_000) + "\n", count: 5))
        let start = Date()
        #expect(try daemon.client().request("ping") == ["200 pong"])
        let reply = try flood.readReply()
        #expect(reply.final.hasPrefix("405 unknown_command: unknown command 'zzz"))
        #expect(reply.final.count < 200, "the word is shortened in the message")
        for _ in 0..<4 { _ = try flood.readReply() }
        #expect(Date().timeIntervalSince(start) < 3)
    }

    @Test func aSlowBodyUploadIsNotIdle() throws {
        let daemon = try DaemonProcess(config: "[daemon]\nidle_timeout = 1\n" + DaemonProcess.probeConfig)
        defer { daemon.stop() }
        let c = try daemon.client()
        try c.send("probe.body <<END\n")
        for i in 0..<5 {
            usleep(400_000)
            try c.send("3,2,50\(i),王芳\n")
        }
        try c.send("END\n")
        #expect(try c.readReply() == ["200-bytes: 75", "200-lines: 5", "200 ok"])
    }

    @Test func aSecondDaemonOnTheSameStateDirectoryIsRefused() throws {
        let first = try DaemonProcess()
        defer { first.stop() }
        let second = try DaemonProcess(config: "[daemon]\nstate_dir = \"\(first.dir.file("state"))\"\n", waitReady: false)
        defer { second.stop() }
        #expect(second.waitExit() == 1)
        #expect(second.stderr.contains("is another doorstepd using this state directory?"))
        #expect(try first.client().request("ping") == ["200 pong"])
    }

    @Test func controlCharactersAreEscapedInText() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let reply = try daemon.client().request(#"probe.echo "a\u{1b}[31mb\0c""#)
        #expect(reply.first == #"200-a\u{1b}[31mb\u{0}c"#)
    }
}
