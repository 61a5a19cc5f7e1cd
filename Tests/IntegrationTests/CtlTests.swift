import Foundation
import Testing

@Suite("doorstepctl", .serialized)
final class CtlTests {
    let daemon: DaemonProcess

    init() throws { daemon = try DaemonProcess() }
    deinit { daemon.stop() }

    @Test func exitCodes() throws {
        let ok = try daemon.ctl(["ping"])
        #expect(ok.status == 0)
        #expect(ok.out == "pong\n")
        let refused = try daemon.ctl(["probe.sleep"])
        #expect(refused.status == 1)
        #expect(refused.err.hasPrefix("doorstepctl: 420 missing_argument: missing argument 'ms'"))
        let usage = try DaemonProcess.run(Binaries.doorstepctl, ["--timeout", "soon", "ping"])
        #expect(usage.status == 2)
        #expect(usage.err.contains("--timeout: expected a number of seconds"))
        let failed = try daemon.ctl(["probe.fail"])
        #expect(failed.status == 3)
        #expect(failed.err.contains("500 internal_error"))
        let dir = TempDirectory()
        defer { dir.remove() }
        let unreachable = try DaemonProcess.run(Binaries.doorstepctl, ["--socket", dir.file("none.sock"), "ping"])
        #expect(unreachable.status == 69)
        #expect(unreachable.err.contains("cannot connect to \(dir.file("none.sock"))"))
        #expect(unreachable.err.contains("is doorstepd running?"))
        let slow = try daemon.ctl(["--timeout", "0.3", "probe.sleep", "ms=3000"])
        #expect(slow.status == 3)
        #expect(slow.err.contains("no answer"))
    }

    @Test func socketFromEnvironment() throws {
        var env = ProcessInfo.processInfo.environment
        env["DOORSTEP_SOCKET"] = daemon.socket
        let r = try DaemonProcess.run(Binaries.doorstepctl, ["ping"], environment: env)
        #expect(r.status == 0)
        #expect(r.out == "pong\n")
    }

    @Test func argumentsAreQuotedForTheDaemon() throws {
        let r = try daemon.ctl(["probe.echo", "王 芳", "say \"hi\"", "a\\b", "upper=no"])
        #expect(r.out == "王 芳 say \"hi\" a\\b\n")
    }

    @Test func jsonIsPassedThroughUnchanged() throws {
        let r = try daemon.ctl(["--json", "probe.echo", "你好"])
        #expect(r.status == 0)
        #expect(r.out == #"{"tag":null,"ok":true,"code":200,"data":{"text":"你好"}}"# + "\n")
        let e = try daemon.ctl(["--json", "nope"])
        #expect(e.status == 1)
        #expect(e.out.hasPrefix(#"{"tag":null,"ok":false,"code":405,"error":"unknown_command""#))
    }

    @Test func dataFileAndStdinBody() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("r.csv", "楼栋,单元,房号,姓名\n3,2,501,王芳\nDOORSTEP_EOF\n")
        let r = try daemon.ctl(["--json", "--data", dir.file("r.csv"), "probe.body"])
        #expect(r.status == 0)
        #expect(r.out.contains(#""body":"楼栋,单元,房号,姓名\n3,2,501,王芳\nDOORSTEP_EOF\n""#), "a line equal to the default word is kept")
        let s = try daemon.ctl(["--data", "-", "probe.body"], stdin: "a\nb")
        #expect(s.out == "bytes: 4\nlines: 2\n")
    }

    @Test func requestsFromStdinArePipelined() throws {
        var input = "ping\n\n# comment\n@x probe.echo 一\nprobe.body <<E\nline\nE\n"
        for i in 0..<300 { input += "probe.echo \(i)\n" }
        input += "probe.echo last"
        let r = try daemon.ctl([], stdin: input)
        #expect(r.status == 0)
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 1 + 1 + 2 + 300 + 1)
        #expect(lines.first == "pong")
        #expect(lines.last == "last")
        let mixed = try daemon.ctl([], stdin: "ping\nnope\nprobe.fail\nping\n")
        #expect(mixed.status == 3, "the worst reply decides")
        #expect(mixed.out == "pong\npong\n")
    }

    @Test func followPrintsEvents() throws {
        let out = daemon.dir.file("follow.out")
        let p = try ChildProcess(Binaries.doorstepctl, ["--socket", daemon.socket, "--follow", "subscribe", "probe.*"], stdout: out)
        defer {
            kill(p.pid, SIGTERM)
            _ = p.wait(timeout: 5)
        }
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while !text.contains("probe.final"), Date() < deadline {
            _ = try daemon.ctl(["probe.publish", "final", "text=开门"])
            usleep(100_000)
            text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        }
        #expect(text.contains("subscribed to probe.*"))
        #expect(text.contains("probe.final ") && text.contains(#"{"text":"开门"}"#))
    }

    @Test func helpAndVersion() throws {
        let help = try DaemonProcess.run(Binaries.doorstepctl, ["--help"])
        #expect(help.status == 0)
        #expect(help.out.contains("exit status: 0 success"))
        let version = try DaemonProcess.run(Binaries.doorstepctl, ["--version"])
        #expect(version.out == "doorstepctl 0.1.0 (protocol 1)\n")
    }
}
