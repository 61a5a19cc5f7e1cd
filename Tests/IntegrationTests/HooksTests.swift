import Foundation
import Testing

/// Hooks through the real daemon: `[[hooks]]` in its config file, events published over the
/// socket, scripts run by doorstepd, runs seen with `hooks.runs`, a kill -9 while a run waits
/// for its retry.
@Suite("Hooks", .serialized)
struct HooksTests {
    func script(_ dir: TempDirectory, _ name: String, _ body: String) -> String {
        dir.write(name, "#!/bin/sh\n" + body + "\n")
        chmod(dir.file(name), 0o755)
        return dir.file(name)
    }

    func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func eventually(_ seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    @Test func aRunWaitingForItsRetryAtAKill9RunsAfterTheRestartOnce() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        // Fails the first time, succeeds the second.
        let sh = script(dir, "page.sh", """
            echo "$1" >> \(dir.file("tries"))
            [ $(wc -l < \(dir.file("tries"))) -ge 2 ] || { echo 网关超时; exit 75; }
            echo "$1" >> \(dir.file("sent")); echo 已发送
            """)
        let config = """
            [daemon]
            state_dir = "\(dir.file("state"))"
            timezone = "Asia/Shanghai"
            [plugins.probe]
            enabled = true
            [[hooks]]
            name = "sms"
            on = "probe.page"
            run = ["\(sh)", "{data.text}"]
            backoff = "2s"
            retries = 3
            """
        let first = try DaemonProcess(config: config)
        #expect(try first.ctl(["probe.publish", "page", "text=王芳"]).status == 0)
        #expect(eventually { lines(dir.file("tries")).count == 1 })
        #expect(eventually { (try? first.ctl(["hooks.runs", "pending"]).out.contains("sms")) == true })
        // The run is pending from when it is queued; its failed attempt is recorded once the
        // script has exited (it wrote its line before): wait for that record.
        #expect(eventually { (try? first.ctl(["hooks.runs", "failed"]).out).map { $0.contains("网关超时") && $0.contains("75") } == true },
                "\((try? first.ctl(["hooks.runs", "failed"]).out) ?? "")")
        first.signal(SIGKILL)
        _ = first.waitExit()
        first.stop()
        let again = try DaemonProcess(config: config)
        defer { again.stop() }
        #expect(eventually { lines(dir.file("sent")) == ["王芳"] }, "the pending retry ran after the restart")
        let runs = try again.ctl(["--json", "hooks.runs"])
        let rows = try #require((try JSONSerialization.jsonObject(with: Data(runs.out.utf8)) as? [String: Any])?["data"] as? [[String: Any]])
        #expect(rows.map { $0["outcome"] as? String } == ["ok", "failed"], "\(rows)")
        #expect((rows.first?["started"] as? String)?.hasSuffix("+08:00") == true)
        let list = try again.ctl(["hooks.list"])
        #expect(list.out.contains("sms") && list.out.contains("probe.page") && list.out.contains(" ok 20"), "\(list.out)")
        #expect(again.stderr.contains("hook sms ok for probe.page"), "each run is logged")
        usleep(500_000)
        #expect(lines(dir.file("sent")).count == 1 && lines(dir.file("tries")).count == 2, "nothing ran twice")
    }

    @Test func aBadHookStopsTheDaemonFromStartingAndNamesItsLine() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("bad.toml", """
            [plugins.probe]
            enabled = true

            [[hooks]]
            on = "probe.page"
            run = ["/bin/true"]

            [[hooks]]
            on = "probe.page"
            run = ["/bin/echo", "{data.phone"]
            """)
        let bad = try DaemonProcess.run(Binaries.doorstepd, ["--check-config", "--config", dir.file("bad.toml")])
        #expect(bad.status == 1)
        #expect(bad.err.hasPrefix("\(dir.file("bad.toml")):10:1: [[hooks]] hooks.1.run: \"{data.phone\": a '{' without its '}'"), "\(bad.err)")
        dir.write("relative.toml", "[[hooks]]\non = \"*\"\nrun = [\"send-sms\"]\n")
        let relative = try DaemonProcess.run(Binaries.doorstepd, ["--check-config", "--config", dir.file("relative.toml")])
        #expect(relative.status == 1 && relative.err.contains(":3:1: [[hooks]] hooks.0.run: the program must be an absolute path"), "\(relative.err)")
    }
}
