import Foundation
import Testing

/// Reading promotion through the real daemon (issue 16): a publisher hook that fails twice and
/// then succeeds on `reading.retry`, a kill -9 with posts due while it is down, the manual
/// queue round trip, an event filling up with its waitlist promoted, text and JSON for every
/// command, and each bad input refused with nothing recorded. The daemon's own clock: posts
/// are scheduled a few seconds ahead.
@Suite("Reading promotion", .serialized)
struct ReadingTests {
    static let channels = """
        [daemon]
        timezone = "Asia/Shanghai"
        [plugins.reading-promotion.channels.weibo]
        kind = "api"
        name = "微博"
        max_body = 2000
        hook = "publish"
        [plugins.reading-promotion.channels.wechat]
        kind = "api"
        name = "微信公众号"
        [plugins.reading-promotion.channels.douyin]
        kind = "manual"
        name = "抖音"
        max_title = 30
        [plugins.reading-promotion.channels.ximalaya]
        kind = "manual"
        name = "喜马拉雅"

        """

    static func hook(_ script: String, retries: Int = 0) -> String {
        """
        [[hooks]]
        name = "publish"
        on = "reading.publish.*"
        run = ["\(script)", "{data.channel}", "{data.key}"]
        timeout = "5m"
        retries = \(retries)
        backoff = "1s"
        capture = true

        """
    }

    func script(_ dir: TempDirectory, _ name: String, _ body: String) -> String {
        dir.write(name, "#!/bin/sh\n" + body + "\n")
        chmod(dir.file(name), 0o755)
        return dir.file(name)
    }

    /// A publisher that prints `https://CHANNEL.example/p/KEY` and notes the key in `published`.
    func publisher(_ dir: TempDirectory) -> String {
        script(dir, "publish.sh", "cat > /dev/null; echo \"$2\" >> \(dir.file("published")); echo \"https://$1.example/p/$2\"")
    }

    func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Polls `condition`, sleeping without holding a thread of the test pool (async tests of
    /// other suites run meanwhile).
    func eventually(_ seconds: Double = 60, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }

    /// `seconds` from now in Shanghai, with seconds: `2026-12-05T09:00:03+08:00`.
    static func ahead(_ seconds: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "Asia/Shanghai")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ssxxx"
        return f.string(from: Date().addingTimeInterval(seconds))
    }

    /// The reply of `args` in JSON (doorstepctl --json): the whole object.
    static func json(_ daemon: DaemonProcess, _ args: [String], stdin: String? = nil) throws -> [String: Any] {
        let r = try daemon.ctl(["--json"] + args, stdin: stdin)
        return try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], "\(args): \(r.out) \(r.err)")
    }

    static func data(_ daemon: DaemonProcess, _ args: [String]) throws -> Any {
        try #require(try json(daemon, args)["data"], "\(args)")
    }

    static func post(_ daemon: DaemonProcess, _ id: Int) throws -> [String: Any] {
        try #require(try data(daemon, ["reading.post.show", "\(id)"]) as? [String: Any])
    }

    static func channel(_ daemon: DaemonProcess, post id: Int, _ channel: String) throws -> [String: Any]? {
        (try post(daemon, id)["channels"] as? [[String: Any]])?.first { $0["channel"] as? String == channel }
    }

    static func seq(_ daemon: DaemonProcess) throws -> Int {
        try #require((try data(daemon, ["state.status"]) as? [String: Any])?["seq"] as? Int)
    }

    // MARK: A publisher that fails twice, then succeeds on reading.retry

    @Test func aPublisherThatFailsTwiceSucceedsOnTheSecondRetry() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let sh = script(dir, "publish.sh", """
            cat > \(dir.file("stdin-$DOORSTEP_SEQ"))
            echo x >> \(dir.file("tries"))
            [ $(wc -l < \(dir.file("tries"))) -ge 3 ] || { echo "weibo: 40001 invalid credential"; exit 1; }
            echo "https://weibo.example/p/$2"
            """)
        let daemon = try DaemonProcess(config: Self.channels + Self.hook(sh))
        defer { daemon.stop() }
        let added = try daemon.ctl(["--data", "-", "reading.post.add", "title=新春习俗听我说", "channels=微博", "at=now"],
                                   stdin: "残疾人线上文化活动\n今晚八点，视频号直播\n")
        #expect(added.status == 0 && added.out == "post 1 due now on 微博\n", "\(added.out) \(added.err)")
        func status() throws -> String? { try Self.channel(daemon, post: 1, "weibo")?["status"] as? String }
        #expect(try await eventually { try status() == "failed" })
        var weibo = try #require(try Self.channel(daemon, post: 1, "weibo"))
        #expect((weibo["reason"] as? String)?.contains("gave up after attempt 1: failed (exit 1): weibo: 40001 invalid credential") == true, "\(weibo)")
        // The credentials are not fixed yet: the retry fails too.
        let first = try daemon.ctl(["reading.retry", "channel=weibo"])
        #expect(first.out == "1 posts sent again on 微博: 1\n", "\(first.out) \(first.err)")
        #expect(try await eventually { try status() == "failed" && (Self.channel(daemon, post: 1, "weibo")?["attempts"] as? Int) == 2 })
        // Now they are: the second retry publishes it.
        #expect(try daemon.ctl(["reading.retry", "channel=weibo", "failed-since=2022-01-01"]).status == 0)
        #expect(try await eventually { try status() == "published" })
        weibo = try #require(try Self.channel(daemon, post: 1, "weibo"))
        #expect(weibo["url"] as? String == "https://weibo.example/p/reading-1-weibo" && weibo["attempts"] as? Int == 3)
        #expect(weibo["published_by"] as? String == "hook publish" && (weibo["published_at"] as? String)?.hasSuffix("+08:00") == true)
        #expect(lines(dir.file("tries")).count == 3)
        // What the hook read on its standard input: the post as it is published.
        let inputs = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("stdin-") }
        #expect(inputs.count == 3)
        let stdin = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file(inputs[0])))) as? [String: Any])
        let event = try #require(stdin["data"] as? [String: Any])
        #expect(stdin["name"] as? String == "reading.publish.weibo" && event["body"] as? String == "残疾人线上文化活动\n今晚八点，视频号直播")
        #expect(event["title"] as? String == "新春习俗听我说" && event["key"] as? String == "reading-1-weibo")
        let report = try #require(try Self.data(daemon, ["reading.report"]) as? [String: Any])
        #expect(report["published"] as? Int == 1 && report["failures"] as? Int == 2 && report["failed_now"] as? Int == 0)
        let runs = try daemon.ctl(["hooks.runs"])
        #expect(runs.out.components(separatedBy: "failed gave up").count == 3 && runs.out.contains(" ok "), "\(runs.out)")
        #expect(try daemon.ctl(["reading.retry", "channel=weibo"]).out == "nothing to retry: no failed post on 微博\n")
    }

    // MARK: kill -9 with posts due while down

    @Test func postsDueWhileTheDaemonWasKilledArePublishedOnceAfterTheRestart() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let config = Self.channels.replacingOccurrences(of: "[daemon]\n", with: "[daemon]\nstate_dir = \"\(dir.file("state"))\"\n")
            + Self.hook(publisher(dir))
        let first = try DaemonProcess(config: config)
        for (i, delay) in [3.0, 3.5, 4.0].enumerated() {
            let r = try first.ctl(["--data", "-", "reading.post.add", "title=闭馆期间第\(i + 1)条", "channels=weibo,wechat,douyin",
                                   "at=\(Self.ahead(delay))"], stdin: "线上服务不停 \(i + 1)")
            #expect(r.status == 0, "\(r.err)")
        }
        #expect(try first.ctl(["--data", "-", "reading.post.add", "title=明天", "channels=weibo", "at=\(Self.ahead(3600))"], stdin: "明天见").status == 0)
        first.signal(SIGKILL)
        _ = first.waitExit()
        first.stop()
        #expect(lines(dir.file("published")).isEmpty, "killed before any was due")
        try await Task.sleep(for: .seconds(5))         // all three fell due while it was down
        let again = try DaemonProcess(config: config)
        #expect(await eventually { lines(dir.file("published")).count == 6 }, "\(lines(dir.file("published")))")
        let keys = lines(dir.file("published"))
        #expect(Set(keys) == Set((1...3).flatMap { ["reading-\($0)-weibo", "reading-\($0)-wechat"] }), "each once: \(keys)")
        #expect(try await eventually { (try Self.channel(again, post: 3, "wechat")?["status"] as? String) == "published" })
        let queue = try #require(try Self.data(again, ["reading.queue", "douyin"]) as? [[String: Any]])
        #expect(queue.map { $0["post"] as? Int } == [1, 2, 3], "in the queue once each, oldest first")
        #expect((try Self.channel(again, post: 4, "weibo")?["status"] as? String) == "scheduled")
        // A clean restart on top: nothing goes out again.
        again.stop()
        let third = try DaemonProcess(config: config)
        defer { third.stop() }
        try await Task.sleep(for: .milliseconds(800))
        #expect(lines(dir.file("published")).count == 6)
        #expect((try Self.data(third, ["reading.queue", "douyin"]) as? [[String: Any]])?.count == 3)
        let report = try #require(try Self.data(third, ["reading.report"]) as? [String: Any])
        #expect(report["published"] as? Int == 6 && report["due_now"] as? Int == 3 && report["scheduled"] as? Int == 1)
        let export = try third.ctl(["state.export", "plugin=reading-promotion"])
        #expect(export.out.components(separatedBy: "\"type\":\"post.due\"").count == 4, "one due record per post")
    }

    // MARK: The manual queue round trip

    @Test func theManualQueueRoundTrip() async throws {
        let daemon = try DaemonProcess(config: Self.channels)
        defer { daemon.stop() }
        let body = "“饭可一日不吃，书不可一日不读。”\n\n\t待到春暖花开时，我在省图等你。\n——陕西省图书馆 邱跃"
        daemon.dir.write("post.txt", body + "\n")
        let added = try daemon.ctl(["--data", daemon.dir.file("post.txt"), "reading.post.add", "title=春暖花开时", "channels=抖音,喜马拉雅",
                                   "at=now", "audience=居家读者"])
        #expect(added.out == "post 1 due now on 抖音, 喜马拉雅\n", "\(added.out) \(added.err)")
        let text = try daemon.ctl(["reading.queue", "douyin"])
        #expect(text.status == 0)
        let shown = text.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(shown.first?.hasPrefix("── 1/1 · 抖音 · post 1 · due ") == true && shown.first?.hasSuffix("+08:00 ──") == true, "\(shown)")
        #expect(Array(shown.dropFirst().prefix(6)) == ["春暖花开时", "", "“饭可一日不吃，书不可一日不读。”", "", "\t待到春暖花开时，我在省图等你。",
                                                       "——陕西省图书馆 邱跃"], "title and text exactly as to paste: \(shown)")
        #expect(shown.contains("── then: reading.post.published 1 channel=douyin url=… ──"))
        let json = try #require(try Self.data(daemon, ["reading.queue", "抖音"]) as? [[String: Any]])
        #expect(json.first?["body"] as? String == body && json.first?["title"] as? String == "春暖花开时")
        let confirmed = try daemon.ctl(["reading.post.published", "1", "channel=douyin", "url=https://v.douyin.example/abc"])
        #expect(confirmed.out == "post 1 published on 抖音: https://v.douyin.example/abc\n", "\(confirmed.out) \(confirmed.err)")
        #expect(try daemon.ctl(["reading.queue", "douyin"]).out == "nothing to publish by hand on 抖音\n")
        #expect((try Self.data(daemon, ["reading.queue"]) as? [[String: Any]])?.map { $0["channel"] as? String } == ["ximalaya"])
        let douyin = try #require(try Self.channel(daemon, post: 1, "douyin"))
        #expect(douyin["status"] as? String == "published" && douyin["url"] as? String == "https://v.douyin.example/abc")
        #expect((douyin["published_by"] as? String)?.hasPrefix("uid ") == true)
        let twice = try daemon.ctl(["reading.post.published", "1", "channel=douyin", "url=https://v.douyin.example/abc"])
        #expect(twice.status == 1 && twice.err.contains("409 conflict: post 1 is published on 抖音"), "\(twice.err)")
    }

    // MARK: An event fills up; a cancellation promotes the waitlist

    @Test func anEventFillsUpAndACancellationPromotesTheWaitlist() async throws {
        let daemon = try DaemonProcess(config: Self.channels)
        defer { daemon.stop() }
        let at = Self.ahead(3 * 86_400)
        let added = try daemon.ctl(["reading.event.add", "title=唐朝人怎样过年和饮食", "at=\(at)", "duration=1h", "capacity=2", "channel=抖音"])
        #expect(added.status == 0 && added.out.hasPrefix("event 1 唐朝人怎样过年和饮食 at "), "\(added.out) \(added.err)")
        #expect(try daemon.ctl(["reading.event.register", "1", "name=王芳", "contact=13800001111"]).out == "王芳 registered for event 1 (1 of 2)\n")
        #expect(try daemon.ctl(["reading.event.register", "1", "name=李伟", "contact=13800002222"]).out == "李伟 registered for event 1 (2 of 2)\n")
        #expect(try daemon.ctl(["reading.event.register", "1", "name=张敏", "contact=13800003333"]).out
            == "张敏 is number 1 on the waitlist of event 1 (2 places taken)\n")
        let third = try #require(try Self.json(daemon, ["reading.event.register", "1", "name=刘强", "contact=13800004444"])["data"] as? [String: Any])
        #expect(third["status"] as? String == "waitlisted" && third["position"] as? Int == 2)
        let twice = try daemon.ctl(["reading.event.register", "1", "name=王芳", "contact=138 0000 1111"])
        #expect(twice.status == 1 && twice.err.contains("409 conflict: that contact is already registered for event 1 (registration 1, registered)"))
        // Subscribed to the plugin's events while the place changes hands.
        let watcher = try daemon.client()
        _ = try watcher.request("subscribe reading.event.*")
        let out = try daemon.ctl(["reading.event.unregister", "1", "contact=13800001111"])
        #expect(out.out == "registration 1 withdrawn from event 1; 张敏 moves up from the waitlist\n", "\(out.out) \(out.err)")
        let event = try #require(try Self.data(daemon, ["reading.event.show", "1"]) as? [String: Any])
        let regs = try #require(event["registrations"] as? [[String: Any]])
        #expect(regs.map { $0["status"] as? String } == ["cancelled", "registered", "registered", "waitlisted"])
        #expect(event["registered"] as? Int == 2 && event["waitlisted"] as? Int == 1 && event["status"] as? String == "full")
        #expect(regs[2]["promoted_at"] is String)
        _ = try watcher.request("ping")
        let events = watcher.events.joined(separator: "\n")
        #expect(events.contains("reading.event.promoted") && events.contains(#""registration":3"#), "\(events)")
        #expect(!events.contains("张敏") && !events.contains("1380000"), "no names or phones in events")
        let list = try daemon.ctl(["reading.event.list"])
        #expect(list.out.contains("唐朝人怎样过年和饮食") && list.out.contains("full"), "\(list.out)")
    }

    // MARK: Text and JSON for every command

    @Test func everyCommandAnswersInTextAndJSON() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(config: Self.channels + Self.hook(publisher(dir)))
        defer { daemon.stop() }
        let later = Self.ahead(2 * 86_400)
        let evening = Self.ahead(3 * 86_400)
        /// (arguments in text, arguments in JSON (another object for a change), stdin body, what the text shows, a key of JSON `data`)
        let steps: [([String], [String], String?, String, String)] = [
            (["reading.channels"], ["reading.channels"], nil, "微信公众号", "channel"),
            (["reading.post.add", "title=文本", "channels=wechat,douyin", "at=\(later)"],
             ["reading.post.add", "title=JSON", "channels=wechat,douyin", "at=\(later)"], "正文", "post 1 scheduled for ", "status"),
            (["reading.post.add", "title=现在", "channels=weibo,douyin", "at=now"],
             ["reading.post.add", "title=现在2", "channels=weibo,douyin", "at=now"], "马上", "due now on 微博, 抖音", "seq"),
            (["reading.post.list"], ["reading.post.list"], nil, "文本", "channels"),
            (["reading.post.show", "1"], ["reading.post.show", "2"], nil, "post 1: 文本", "body"),
            (["reading.post.edit", "1", "title=文本改"], ["reading.post.edit", "2", "audience=少儿"], nil, "post 1: 文本改", "audience"),
            (["reading.queue"], ["reading.queue", "douyin"], nil, "── then: reading.post.published 3 channel=douyin", "body"),
            (["reading.post.published", "3", "channel=douyin", "url=https://d.example/3"],
             ["reading.post.published", "4", "channel=douyin", "url=https://d.example/4"], nil, "post 3 published on 抖音", "url"),
            (["reading.post.cancel", "1", "channel=douyin"], ["reading.post.cancel", "2"], nil, "post 1 cancelled on 抖音", "cancelled"),
            (["reading.retry", "channel=weibo"], ["reading.retry", "channel=weibo"], nil, "nothing to retry", "retried"),
            (["reading.series.add", "tips", "cadence=daily 09:00", "channels=wechat"],
             ["reading.series.add", "science", "cadence=weekly mon,thu 20:00", "channels=wechat,ximalaya"],
             "勤洗手\n---\n# 开窗\n通风", "tips（1）", "posts"),
            (["reading.series.extend", "tips"], ["reading.series.extend", "science"], "戴口罩", "tips（3）", "first"),
            (["reading.series.list"], ["reading.series.list"], nil, "daily 09:00", "cadence"),
            (["reading.series.show", "tips"], ["reading.series.show", "science"], nil, "cadence: daily 09:00", "posts"),
            (["reading.series.cancel", "tips"], ["reading.series.cancel", "science"], nil, "series tips cancelled: 3 posts", "cancelled"),
            (["reading.event.add", "title=讲座", "at=\(evening)", "duration=2h", "capacity=1"],
             ["reading.event.add", "title=答题", "at=\(evening)", "duration=30m", "capacity=5", "waitlist=no", "remind=1h"], nil,
             "event 1 讲座 at ", "remind_at"),
            (["reading.event.register", "1", "name=王芳", "contact=13800001111"],
             ["reading.event.register", "1", "name=李伟", "contact=13800002222"], nil, "王芳 registered for event 1 (1 of 1)", "position"),
            (["reading.event.list"], ["reading.event.list", "status=upcoming"], nil, "讲座", "waitlisted"),
            (["reading.event.show", "1"], ["reading.event.show", "1"], nil, "13800001111", "registrations"),
            (["reading.event.unregister", "1", "contact=13800001111"], ["reading.event.unregister", "1", "contact=13800002222"], nil,
             "李伟 moves up from the waitlist", "promoted"),
            (["reading.event.cancel", "1", "reason=讲师生病"], ["reading.event.cancel", "2", "reason=改期"], nil, "event 1 cancelled", "status"),
            (["reading.invite.add", "name=邱跃", "contact=13912345678", "note=春暖花开"],
             ["reading.invite.add", "name=周云岳", "contact=13987654321"], nil, "invitation 1: 邱跃 will come", "id"),
            (["reading.invites"], ["reading.invites"], nil, "邱跃", "contact"),
            (["reading.invites.export", "format=csv"], ["reading.invites.export", "format=csv", "headers=en"], nil, "编号,姓名,联系方式,留言,登记时间", "csv"),
            (["reading.report"], ["reading.report", "by=day"], nil, "posts pushed: ", "days"),
        ]
        var covered: Set<String> = []
        for (text, json, body, shows, key) in steps {
            let t = try daemon.ctl(body == nil ? text : ["--data", "-"] + text, stdin: body)
            #expect(t.status == 0 && t.out.contains(shows), "\(text): \(t.out) \(t.err)")
            let j = try Self.json(daemon, body == nil ? json : ["--data", "-"] + json, stdin: body)
            #expect(j["ok"] as? Bool == true, "\(json): \(j)")
            let data = j["data"]
            let keys = (data as? [String: Any]).map { Array($0.keys) } ?? ((data as? [[String: Any]])?.first.map { Array($0.keys) } ?? [])
            #expect(keys.contains(key), "\(json): \(String(describing: data))")
            covered.insert(text[0])
        }
        // The attendance of an event: after its start, so on one that started now.
        #expect(try daemon.ctl(["reading.event.add", "title=直播", "at=now", "duration=1h", "capacity=9"]).status == 0)
        #expect(try daemon.ctl(["reading.event.register", "3", "name=赵磊", "contact=13700000000"]).status == 0)
        #expect(try daemon.ctl(["reading.event.attended", "3", "names=赵磊"]).out == "event 3: attendance 1\n")
        let attended = try #require(try Self.json(daemon, ["reading.event.attended", "3", "count=120"])["data"] as? [String: Any])
        #expect(attended["attendance"] as? Int == 120)
        covered.insert("reading.event.attended")
        // Every reading command was run, and each has its help.
        let commands = try #require(try Self.data(daemon, ["commands"]) as? [[String: Any]])
        let reading = Set(commands.compactMap { $0["name"] as? String }.filter { $0.hasPrefix("reading.") })
        #expect(reading.count == 25 && reading == covered, "not run: \(reading.subtracting(covered))")
        #expect(commands.filter { ($0["name"] as? String)?.hasPrefix("reading.") == true }.allSatisfy { $0["plugin"] as? String == "reading-promotion" })
        for name in reading {
            let help = try daemon.ctl(["help", name])
            #expect(help.status == 0 && help.out.contains(name), "help \(name): \(help.out)")
        }
        // The file for Excel: BOM and CRLF (viewers' masking is checked in process).
        // (The raw JSON line: Foundation's JSONSerialization drops a string's leading BOM.)
        let reply = try daemon.ctl(["--json", "reading.invites.export", "format=csv"]).out
        #expect(reply.contains(#""csv":"\#u{FEFF}编号,姓名,联系方式,留言,登记时间\r\n1,邱跃,13912345678,春暖花开,"#), "\(reply)")
        #expect(reply.components(separatedBy: #"\r\n"#).count == 4, "header, two invitations, and the end")
    }

    // MARK: Config

    @Test func aBadChannelStopsTheDaemonFromStartingAndNamesItsLine() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("bad.toml", "[plugins.reading-promotion]\nwaitlist = true\n\n[plugins.reading-promotion.channels.weibo]\nkind = \"api\"\nname = \"微博\"\nmax_len = 3\n")
        let bad = try DaemonProcess.run(Binaries.doorstepd, ["--check-config", "--config", dir.file("bad.toml")])
        #expect(bad.status == 1)
        #expect(bad.err.hasPrefix("\(dir.file("bad.toml")):7:1: [plugins.reading-promotion] channels.weibo.max_len: unknown key 'max_len'; "
            + "a channel has kind, name, max_title, max_body, hook"), "\(bad.err)")
        dir.write("kind.toml", "[plugins.reading-promotion.channels.douyin]\nkind = \"by hand\"\n")
        let kind = try DaemonProcess.run(Binaries.doorstepd, ["--check-config", "--config", dir.file("kind.toml")])
        #expect(kind.err.contains("kind.toml:2:1: [plugins.reading-promotion] channels.douyin.kind: expected \"api\" or \"manual\""), "\(kind.err)")
    }

    // MARK: Bad input

    @Test func eachBadInputIsASpecificErrorAndRecordsNothing() async throws {
        let daemon = try DaemonProcess(config: Self.channels)
        defer { daemon.stop() }
        #expect(try daemon.ctl(["--data", "-", "reading.post.add", "title=有", "channels=wechat", "at=\(Self.ahead(86_400))"], stdin: "x").status == 0)
        #expect(try daemon.ctl(["reading.event.add", "title=满", "at=\(Self.ahead(86_400))", "duration=1h", "capacity=1", "waitlist=no"]).status == 0)
        #expect(try daemon.ctl(["reading.event.register", "1", "name=王芳", "contact=13800001111"]).status == 0)
        let before = try Self.seq(daemon)
        let cases: [([String], String?, String)] = [
            (["reading.post.add", "title=t", "channels=weixin", "at=now"], "x", "404 not_found: unknown channel 'weixin'; the channels are douyin (抖音), wechat (微信公众号), weibo (微博), ximalaya (喜马拉雅)"),
            (["reading.post.add", "title=t", "channels=wechat", "at=2022-01-12T09:00"], "x", "422 invalid_argument: argument 'at': 2022-01-12 09:00 +08:00 is in the past"),
            (["reading.post.add", "title=t", "channels=weibo", "at=now"], String(repeating: "字", count: 2001), "422 invalid_argument: the post's text is 2001 characters; 微博 (weibo) takes at most 2000"),
            (["reading.post.add", "title=\(String(repeating: "题", count: 31))", "channels=抖音", "at=now"], "x", "422 invalid_argument: the post's title is 31 characters; 抖音 (douyin) takes at most 30"),
            (["reading.event.register", "1", "name=王芳", "contact=13800001111"], nil, "409 conflict: that contact is already registered for event 1"),
            (["reading.event.register", "1", "name=李伟", "contact=13800002222"], nil, "409 conflict: event 1 is full (1 of 1) and takes no waitlist"),
            (["reading.post.show", "7"], nil, "404 not_found: post 7 does not exist (posts are 1 to 1)"),
            (["reading.post.cancel", "7"], nil, "404 not_found: post 7 does not exist"),
            (["reading.post.published", "1", "channel=wechat", "url=https://x.example"], nil, "409 conflict: post 1 is scheduled on 微信公众号"),
            (["reading.queue", "weibo"], nil, "422 invalid_argument: 微博 (weibo) is an api channel"),
        ]
        for (args, body, message) in cases {
            let r = try daemon.ctl(body == nil ? args : ["--data", "-"] + args, stdin: body)
            #expect(r.status == 1 && r.err.hasPrefix("doorstepctl: " + message), "\(args): \(r.err)")
        }
        #expect(try Self.seq(daemon) == before, "nothing was recorded")
        let posts = try #require(try Self.data(daemon, ["reading.post.list"]) as? [[String: Any]])
        #expect(posts.count == 1)
    }
}
