import Foundation
@testable import HooksPlugin
import PluginAPI
import PluginSupport
import PluginTesting
import ProbePlugin
import Testing

/// Hooks with real scripts, in process: the probe plugin publishes the events (`probe.publish
/// NAME text=…`), the hooks service runs `/bin/sh` scripts written for each test.
@Suite struct HooksPluginTests {
    static let plugins: [any DoorstepPlugin.Type] = [ProbePlugin.self, HooksPlugin.self]
    static let shanghai = CommunityZone(identifier: PluginHarness.defaultTimezone)!

    /// A scratch directory with scripts; `path(name)` for files in it.
    final class Scripts {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-hooks-\(UUID().uuidString)").path

        init() { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: dir) }

        func path(_ name: String) -> String { dir + "/" + name }

        /// Writes an executable `/bin/sh` script.
        @discardableResult
        func script(_ name: String, _ body: String) -> String {
            let p = path(name)
            FileManager.default.createFile(atPath: p, contents: Data(("#!/bin/sh\n" + body + "\n").utf8),
                                           attributes: [.posixPermissions: 0o755])
            return p
        }

        func read(_ name: String) -> String { (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "" }
        func lines(_ name: String) -> [String] { read(name).split(separator: "\n").map(String.init) }
    }

    static func config(_ hooks: String, concurrency: Int = 4) -> String {
        "[plugins.probe]\nenabled = true\n[plugins.hooks]\nconcurrency = \(concurrency)\n" + hooks
    }

    /// The `hooks.runs` rows (`which`: failed or pending).
    func runs(_ h: PluginHarness, _ which: String = "") async throws -> [JSON] {
        guard case .array(let rows) = try await h.ok("hooks.runs \(which) limit=1000", as: .operator).data else { return [] }
        return rows
    }

    /// Polls `condition` for up to `seconds` (hooks run as real processes, in real time).
    /// Long, because the whole suite's blocking tests can starve this process's task pool.
    func eventually(_ seconds: Double = 90, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    @Test func aHookRunsWithTheEventOnStdinAndItsPlaceholdersFilled() async throws {
        let s = Scripts()
        s.script("page.sh", "echo \"$1 $2 $DOORSTEP_EVENT $TZ\" >> \(s.path("args")); cat >> \(s.path("stdin")); echo 已发送 $1")
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            name = "sms"
            on = "probe.page"
            run = ["\(s.path("page.sh"))", "{data.text}", "seq={seq}"]
            timeout = "5m"
            """))
        defer { h.remove() }
        let seq = try await h.ok("probe.publish page text=张伟", as: .operator)["seq"]
        try await h.ok("probe.publish other text=ignored", as: .operator)
        #expect(try await eventually { try await runs(h).count == 1 })
        let row = try #require(try await runs(h).first)
        #expect(row["outcome"] == "ok" && row["hook"] == "sms" && row["exit"] == 0)
        #expect(row["output"] == "已发送 张伟", "the first line of its output is recorded")
        guard case .int(let seqNumber)? = seq else { Issue.record("no seq: \(String(describing: seq))"); return }
        #expect(s.lines("args") == ["张伟 seq=\(seqNumber) probe.page Asia/Shanghai"])
        let stdin = try JSON.parse(Array(s.read("stdin").utf8))
        #expect(stdin["name"] == "probe.page" && stdin["data"]?["text"] == "张伟" && stdin["seq"] == seq)
        if case .string(let time)? = stdin["time"] { #expect(time.hasSuffix("+08:00"), "times in the community's zone") }
        let list = try await h.ok("hooks.list", as: .operator)
        #expect(list.message == "1 hooks, 0 runs pending")
        #expect(try await h.error("hooks.runs", as: .viewer).code == 403, "viewers do not see hook runs")
        try await h.settle()
        #expect(try await runs(h).count == 1, "the other event ran nothing")
        await h.stop()
    }

    @Test func aNonZeroExitIsRecordedRetriedAndGivenUpWithEvents() async throws {
        let s = Scripts()
        s.script("fail.sh", "echo 网关拒绝 >&2; exit 3")
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            on = "probe.page"
            run = ["\(s.path("fail.sh"))"]
            timeout = "5m"
            retries = 1
            backoff = "30s"
            """))
        defer { h.remove() }
        try await h.ok("probe.publish page", as: .operator)
        #expect(try await eventually { try await runs(h).count == 1 })
        var row = try #require(try await runs(h).first)
        #expect(row["outcome"] == "failed" && row["exit"] == 3 && row["output"] == "网关拒绝", "\(row)")
        #expect(try await runs(h, "pending").first?["attempts"] == 1)
        #expect(h.published("hooks.failed").count == 1)
        h.clock.advance(by: .seconds(29))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await runs(h).count == 1, "not before its backoff")
        h.clock.advance(by: .seconds(1))
        #expect(try await eventually { try await runs(h).count == 2 })
        row = try #require(try await runs(h).first)
        #expect(row["outcome"] == "failed gave up" && row["attempt"] == 2)
        #expect(try await eventually { h.published("hooks.gave_up").count == 1 })
        #expect(h.published("hooks.failed").count == 2)
        #expect(try await runs(h, "pending").isEmpty)
        #expect(try await runs(h, "failed").count == 2)
        await h.stop()
    }

    @Test func aHangIsKilledAtItsTimeoutWithItsChildren() async throws {
        let s = Scripts()
        s.script("hang.sh", "echo started; sleep 600 & echo $! > \(s.path("child")); wait")
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            on = "probe.page"
            run = ["\(s.path("hang.sh"))"]
            timeout = "500ms"
            retries = 0
            """))
        defer { h.remove() }
        try await h.ok("probe.publish page", as: .operator)
        #expect(try await eventually { try await runs(h).count == 1 })
        let row = try #require(try await runs(h).first)
        #expect(row["outcome"] == "timeout gave up" && row["output"] == "started", "\(row)")
        if case .int(let ms)? = row["ms"] { #expect(ms >= 500, "not before its timeout: \(ms) ms") }
        let child = Int32(s.read("child").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(child > 0)
        #expect(try await eventually(5) { kill(child, 0) != 0 }, "the script's child was killed with it")
        await h.stop()
    }

    @Test func retriesWithBackoffThenSuccess() async throws {
        let s = Scripts()
        // Fails twice, then succeeds.
        s.script("flaky.sh", "echo x >> \(s.path("tries")); [ $(wc -l < \(s.path("tries"))) -ge 3 ] || exit 1; echo ok")
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            on = "probe.*"
            run = ["\(s.path("flaky.sh"))"]
            timeout = "5m"
            retries = 5
            backoff = "10s"
            """))
        defer { h.remove() }
        try await h.ok("probe.publish page", as: .operator)
        #expect(try await eventually { try await runs(h).count == 1 })
        #expect(try await runs(h, "pending").first?["next"] == JSON.string(ValueParser.iso8601(h.clock.now() + 10, in: Self.shanghai)))
        h.clock.advance(by: .seconds(10))
        #expect(try await eventually { try await runs(h).count == 2 })
        #expect(try await runs(h, "pending").first?["next"] == JSON.string(ValueParser.iso8601(h.clock.now() + 20, in: Self.shanghai)), "the wait doubles")
        h.clock.advance(by: .seconds(20))
        #expect(try await eventually { try await runs(h).count == 3 })
        #expect(try await runs(h).map { $0["outcome"] } == ["ok", "failed", "failed"])
        #expect(try await runs(h, "pending").isEmpty)
        #expect(s.lines("tries").count == 3)
        #expect(h.published("hooks.gave_up").isEmpty)
        await h.stop()
    }

    @Test func aRunPendingAtAStopRunsAfterTheRestartAndASuccessNeverRunsAgain() async throws {
        let s = Scripts()
        // Waits until the test says go: the first attempt is still running at the stop.
        s.script("slow.sh", "echo start >> \(s.path("starts")); while [ ! -f \(s.path("go")) ]; do sleep 0.05; done; echo \"$1\" >> \(s.path("done"))")
        let config = Self.config("""
            [[hooks]]
            on = "probe.page"
            run = ["\(s.path("slow.sh"))", "{data.text}"]
            timeout = "5m"
            """)
        let h = try await PluginHarness(Self.plugins, config: config)
        defer { h.remove() }
        try await h.ok("probe.publish page text=甲", as: .operator)
        #expect(try await eventually { s.lines("starts").count == 1 })
        // Stopped mid-run (the process is killed); as after a crash, the run is still pending.
        try await h.restart()
        #expect(s.lines("done").isEmpty)
        FileManager.default.createFile(atPath: s.path("go"), contents: nil)
        #expect(try await eventually { s.lines("done") == ["甲"] })
        #expect(s.lines("starts").count == 2)
        #expect(try await eventually { try await runs(h).first?["outcome"] == "ok" })
        try await h.snapshot()
        try await h.restart()
        try await h.settle()
        try await Task.sleep(for: .milliseconds(500))
        #expect(s.lines("starts").count == 2, "a recorded success is not run again")
        #expect(try await runs(h, "pending").isEmpty)
        await h.stop()
    }

    @Test func aBurstOf200EventsRunsEachOnceAtMostFourAtATime() async throws {
        let s = Scripts()
        try FileManager.default.createDirectory(atPath: s.path("running"), withIntermediateDirectories: true)
        s.script("busy.sh", """
            touch \(s.path("running"))/$1
            ls \(s.path("running")) | wc -l >> \(s.path("concurrency"))
            sleep 0.05
            rm \(s.path("running"))/$1
            echo $1 >> \(s.path("seqs"))
            """)
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            on = "probe.burst"
            run = ["\(s.path("busy.sh"))", "{seq}"]
            timeout = "5m"
            """, concurrency: 4))
        defer { h.remove() }
        for i in 0..<200 { try await h.ok("probe.publish burst text=\(i)", as: .operator) }
        #expect(try await eventually(180) { s.lines("seqs").count >= 200 })
        try await Task.sleep(for: .milliseconds(300))
        let seqs = s.lines("seqs")
        #expect(seqs.count == 200 && Set(seqs).count == 200, "each event's hook ran exactly once")
        let most = s.lines("concurrency").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.max() ?? 0
        #expect(most <= 4 && most >= 2, "at most 4 at a time, and more than one: \(most)")
        #expect(try await runs(h).count == 200)
        #expect(try await runs(h, "failed").isEmpty)
        await h.stop()
    }

    /// An executable that cannot start (its interpreter is gone): an attempt that failed, with
    /// the reason, retried like any failure; the daemon goes on.
    @Test func aProgramThatCannotStartIsReportedAndRetried() async throws {
        let s = Scripts()
        let broken = s.path("broken.sh")
        FileManager.default.createFile(atPath: broken, contents: Data("#!/nonexistent/interpreter\n".utf8),
                                       attributes: [.posixPermissions: 0o755])
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            on = "probe.page"
            run = ["\(broken)"]
            timeout = "5m"
            retries = 1
            backoff = "1s"
            """))
        defer { h.remove() }
        for _ in 0..<3 { try await h.ok("probe.publish page", as: .operator) }
        #expect(try await eventually { try await runs(h).count == 3 })
        let row = try #require(try await runs(h).first)
        #expect(row["outcome"] == "error" || row["outcome"] == "failed", "\(row)")
        h.clock.advance(by: .seconds(1))
        #expect(try await eventually { try await runs(h).count == 6 })
        let last = try await runs(h).first?["outcome"]
        #expect(last == "error gave up" || last == "failed gave up", "\(String(describing: last))")
        #expect(try await h.ok("probe.echo 还活着").lines == ["还活着"], "the host goes on")
        await h.stop()
    }

    /// A hook on hooks.failed hears of another hook's failure, never of its own (no chains);
    /// the events carry no output (viewers may subscribe).
    @Test func aHookOnFailuresRunsOnceForAFailureAndNeverForItsOwn() async throws {
        let s = Scripts()
        s.script("fail.sh", "echo 13800000000 rejected; exit 1")
        s.script("alert.sh", "cat >> \(s.path("alerts")); echo >> \(s.path("alerts")); exit 1")
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            name = "sms"
            on = "probe.page"
            run = ["\(s.path("fail.sh"))"]
            timeout = "5m"
            retries = 0
            [[hooks]]
            name = "alert"
            on = "hooks.failed"
            run = ["\(s.path("alert.sh"))"]
            timeout = "5m"
            retries = 0
            """))
        defer { h.remove() }
        try await h.ok("probe.publish page", as: .operator)
        #expect(try await eventually { try await runs(h).count == 2 })
        try await h.settle()
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await runs(h).count == 2, "the alert's own failure ran nothing")
        #expect(s.lines("alerts").count == 1 && s.read("alerts").contains("\"hook\":\"sms\""))
        #expect(h.published("hooks.failed").allSatisfy { $0.data["output"] == nil }, "no output in events")
        #expect(!s.read("alerts").contains("13800000000"))
        await h.stop()
    }

    /// `capture = true`: a success commits `hooks.succeeded` with the first line of the output
    /// (up to 1 KiB), and failures carry it as `output`; a hook without it announces no
    /// success and no output.
    @Test func aCapturingHookCommitsItsFirstOutputLineOnSuccessAndFailure() async throws {
        let s = Scripts()
        // Fails the first time (saying why), then prints a URL and a second line.
        s.script("publish.sh", """
            echo x >> \(s.path("tries"))
            [ $(wc -l < \(s.path("tries"))) -ge 2 ] || { echo '  token expired 令牌过期'; exit 2; }
            printf '\\n  https://weibo.example/p/1?a=b  \\nsecond line\\n'
            """)
        s.script("quiet.sh", "echo 13800000000")
        let long = String(repeating: "长", count: 400)   // 1,200 bytes
        s.script("long.sh", "echo \(long)")
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            name = "publisher"
            on = "probe.publish"
            run = ["\(s.path("publish.sh"))"]
            timeout = "5m"
            retries = 1
            backoff = "10s"
            capture = true
            [[hooks]]
            name = "plain"
            on = "probe.publish"
            run = ["\(s.path("quiet.sh"))"]
            timeout = "5m"
            [[hooks]]
            name = "long"
            on = "probe.long"
            run = ["\(s.path("long.sh"))"]
            timeout = "5m"
            capture = true
            """))
        defer { h.remove() }
        let seq = try await h.ok("probe.publish publish", as: .operator)["seq"]
        #expect(try await eventually { h.published("hooks.failed").count == 1 })
        let failed = try #require(h.published("hooks.failed").first)
        #expect(failed.data["hook"] == "publisher" && failed.data["output"] == "token expired 令牌过期" && failed.data["seq"] == seq,
                "\(failed.data)")
        h.clock.advance(by: .seconds(10))
        #expect(try await eventually { h.published("hooks.succeeded").count == 1 })
        try await h.settle()
        try await Task.sleep(for: .milliseconds(300))
        let succeeded = h.published("hooks.succeeded")
        #expect(succeeded.count == 1, "the plain hook's success commits nothing: \(succeeded.map(\.data))")
        let ok = try #require(succeeded.first)
        #expect(ok.data["hook"] == "publisher" && ok.data["event"] == "probe.publish" && ok.data["seq"] == seq && ok.data["attempt"] == 2)
        #expect(ok.data["output"] == "https://weibo.example/p/1?a=b", "the first non-empty line, trimmed: \(ok.data)")
        #expect(!h.published("hooks.*").contains { $0.data.serialized.contains("13800000000") }, "no output of a hook that does not capture")
        #expect(try await h.recorded(plugin: "hooks").contains { $0.type == "attempt" })
        try await h.ok("probe.publish long", as: .operator)
        #expect(try await eventually { h.published("hooks.succeeded").count == 2 })
        guard case .string(let clipped)? = h.published("hooks.succeeded").last?.data["output"] else {
            Issue.record("no output"); return
        }
        #expect(clipped.utf8.count <= 1_024 && clipped.utf8.count >= 1_020 && clipped.allSatisfy { $0 == "长" }, "cut at a character: \(clipped.utf8.count)")
        await h.stop()
    }

    @Test func captureMustBeABoolean() async throws {
        let s = Scripts()
        let ok = s.script("ok.sh", "true")
        do {
            let h = try await PluginHarness(Self.plugins, config: Self.config("[[hooks]]\non = \"probe.page\"\nrun = [\"\(ok)\"]\ncapture = \"yes\""))
            await h.stop()
            h.remove()
            Issue.record("capture = \"yes\" was accepted")
        } catch {
            #expect("\(error)".contains("hooks.0.capture: expected a boolean"), "\(error)")
        }
    }

    /// Enabled for the first time (or given a hook) after events were committed: those events
    /// do not run the new hook; later ones do.
    @Test func eventsFromBeforeAHookExistedDoNotRunIt() async throws {
        let s = Scripts()
        s.script("page.sh", "echo \"$1\" >> \(s.path("paged"))")
        let hook = """
            [[hooks]]
            on = "probe.page"
            run = ["\(s.path("page.sh"))", "{data.text}"]
            timeout = "5m"
            """
        let h = try await PluginHarness(Self.plugins, config: Self.config("[plugins.hooks]\nenabled = false\n")
            .replacingOccurrences(of: "[plugins.hooks]\nconcurrency = 4\n", with: ""))
        defer { h.remove() }
        try await h.ok("probe.publish page text=旧", as: .operator)
        h.clock.advance(by: .seconds(60))
        try await h.reload(config: Self.config(hook))
        try await h.settle()
        try await h.ok("probe.publish page text=新", as: .operator)
        #expect(try await eventually { s.lines("paged").count == 1 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(s.lines("paged") == ["新"])
        await h.stop()
    }

    /// The first event after a hook was set up runs it even when the service handles it a
    /// second (or more) after it was committed: it used to be activated by that first event,
    /// at the time it was handled, and the event was then taken for one from before it existed.
    @Test func theFirstEventAfterAHookIsSetUpRunsItHoweverLateItIsHandled() async throws {
        let s = Scripts()
        s.script("page.sh", "echo \"$1\" >> \(s.path("paged"))")
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            name = "sms"
            on = "probe.page"
            run = ["\(s.path("page.sh"))", "{data.text}"]
            """))
        defer { h.remove() }
        // Activated when the service started, before any event.
        #expect(try await eventually { try await h.recorded(plugin: "hooks").map(\.type) == ["activated"] })
        h.clock.advance(by: .seconds(30))
        try await h.ok("probe.publish page text=第一条", as: .operator)
        h.clock.advance(by: .seconds(2))   // handled later than committed
        #expect(try await eventually { s.lines("paged") == ["第一条"] })
        await h.stop()
    }

    @Test(.enabled(if: getuid() == 0, "needs root to change user"))
    func aHookRunsAsItsUserWithThatUsersGroup() async throws {
        let s = Scripts()
        chmod(s.dir, 0o777)
        s.script("who.sh", "id -u > \(s.path("who")); id -g >> \(s.path("who")); id -G >> \(s.path("who"))")
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            on = "probe.page"
            run = ["\(s.path("who.sh"))"]
            timeout = "5m"
            user = "nobody"
            """))
        defer { h.remove() }
        try await h.ok("probe.publish page", as: .operator)
        #expect(try await eventually { s.lines("who").count == 3 })
        let nobody = getpwnam("nobody")!.pointee
        #expect(s.lines("who")[0] == "\(nobody.pw_uid)" && s.lines("who")[1] == "\(nobody.pw_gid)", "\(s.lines("who"))")
        #expect(!s.lines("who")[2].split(separator: " ").contains("0"), "no root group left: \(s.lines("who"))")
        await h.stop()
    }

    /// A command that closes its output before it is done is let finish, not killed.
    @Test func aCommandThatClosesItsOutputEarlyIsLetFinish() async throws {
        let s = Scripts()
        s.script("quiet.sh", "echo 开始; exec >/dev/null 2>&1; sleep 0.3; echo 完成 > \(s.path("finished"))")
        let h = try await PluginHarness(Self.plugins, config: Self.config("""
            [[hooks]]
            on = "probe.page"
            run = ["\(s.path("quiet.sh"))"]
            timeout = "5m"
            """))
        defer { h.remove() }
        try await h.ok("probe.publish page", as: .operator)
        #expect(try await eventually { try await runs(h).count == 1 })
        let row = try #require(try await runs(h).first)
        #expect(row["outcome"] == "ok" && row["output"] == "开始", "\(row)")
        #expect(s.lines("finished") == ["完成"])
        await h.stop()
    }

    @Test func badHooksAreRefusedAtLoadNamingTheEntryAndKey() async throws {
        let s = Scripts()
        let ok = s.script("ok.sh", "true")
        let cases: [(String, String)] = [
            ("on = \"probe.page\"\nrun = [\"\(ok)\", \"{data.phone\"]", "hooks.0.run: \"{data.phone\": a '{' without its '}'"),
            ("on = \"probe.page\"\nrun = [\"\(ok)\", \"{phone}\"]", "unknown placeholder {phone}"),
            ("on = \"probe.page\"\nrun = [\"send-sms\"]", "the program must be an absolute path"),
            ("on = \"probe.page\"\nrun = [\"\(s.path("missing"))\"]", "is not an executable file"),
            ("run = [\"\(ok)\"]", "hooks.0.on: missing"),
            ("on = \"probe.page\"\nrun = [\"\(ok)\"]\ntimeout = \"soon\"", "hooks.0.timeout: expected a duration"),
            ("on = \"probe.page\"\nrun = [\"\(ok)\"]\nretry = 3", "unknown key 'retry'"),
            ("on = \"probe.page\"\nrun = [\"\(ok)\"]\nuser = \"nosuchuser-x\"", "hooks.0.user: no such user"),
            ("on = \"probe.page\"\nrun = [\"\(ok)\"]\nbackoff = \"500ms\"", "hooks.0.backoff: expected 1s to 1h"),
        ]
        for (entry, message) in cases {
            do {
                let h = try await PluginHarness(Self.plugins, config: Self.config("[[hooks]]\n" + entry))
                await h.stop()
                h.remove()
                Issue.record("accepted: \(entry)")
            } catch {
                #expect("\(error)".contains(message), "\(entry) → \(error)")
                #expect("\(error)".contains("[[hooks]]"), "\(error)")
            }
        }
    }

    @Test func templatesRenderFieldsAndBraces() throws {
        var event = HookEvent(Event(name: "emergencies.escalated", seq: 42, time: 1_641_931_200,
                                    data: ["phone": "13800000000", "n": 3, "who": ["name": "刘敏"], "none": nil]))
        event.index = 0
        #expect(try HookTemplate("--to={data.phone}").render(event, hook: "h") == "--to=13800000000")
        #expect(try HookTemplate("{data.n}/{seq}/{hook}/{{x}}").render(event, hook: "h") == "3/42/h/{x}")
        #expect(try HookTemplate("{data.who.name}").render(event, hook: "h") == "刘敏")
        #expect(try HookTemplate("{data}").render(event, hook: "h").hasPrefix("{\"phone\":"))
        #expect(throws: HookTemplate.Missing.self) { try HookTemplate("{data.address}").render(event, hook: "h") }
        do {
            _ = try HookTemplate("{data.who.phone}").render(event, hook: "h")
        } catch {
            #expect("\(error)" == "the event has no {data.who.phone}; it has {data.who.name}", "names what there is")
        }
        #expect(throws: HookTemplate.Missing.self) { try HookTemplate("{data.none}").render(event, hook: "h") }
        #expect(throws: HookTemplate.Invalid.self) { try HookTemplate("}") }
    }
}
