import Foundation
import HooksPlugin
import PluginAPI
import PluginSupport
import PluginTesting
@testable import ReadingPromotionPlugin
import Testing

/// Reading promotion in process: the plugin and the hooks service with real `/bin/sh`
/// publishers, on a manual clock (weeks of schedules in seconds).
@Suite struct ReadingPromotionPluginTests {
    static let plugins: [any DoorstepPlugin.Type] = [ReadingPromotionPlugin.self, HooksPlugin.self]

    /// The library's six channels: three with a publishing API, three published by hand.
    static let channels = """
        [plugins.reading-promotion]
        reminder_lead = "30m"
        [plugins.reading-promotion.channels.wechat]
        kind = "api"
        name = "微信公众号"
        max_title = 64
        [plugins.reading-promotion.channels.weibo]
        kind = "api"
        name = "微博"
        max_body = 2000
        hook = "publish"
        [plugins.reading-promotion.channels.app]
        kind = "api"
        name = "图书馆App"
        [plugins.reading-promotion.channels.douyin]
        kind = "manual"
        name = "抖音"
        max_title = 30
        [plugins.reading-promotion.channels.ximalaya]
        kind = "manual"
        name = "喜马拉雅"
        [plugins.reading-promotion.channels.shipinhao]
        kind = "manual"
        name = "视频号"

        """

    /// A scratch directory with the publisher script.
    final class Scripts {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-reading-\(UUID().uuidString)").path
        init() { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: dir) }
        func path(_ name: String) -> String { dir + "/" + name }
        @discardableResult
        func script(_ name: String, _ body: String) -> String {
            let p = path(name)
            FileManager.default.createFile(atPath: p, contents: Data(("#!/bin/sh\n" + body + "\n").utf8), attributes: [.posixPermissions: 0o755])
            return p
        }
        func lines(_ name: String) -> [String] {
            ((try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        func touch(_ name: String) { FileManager.default.createFile(atPath: path(name), contents: nil) }
        func remove(_ name: String) { try? FileManager.default.removeItem(atPath: path(name)) }

        /// Publishes (prints the URL, notes the key) unless `NAME-expired` exists for its channel.
        func publisher() -> String {
            script("publish.sh", """
                if [ -f \(path("$1-expired")) ]; then echo "$1: access token expired (21332)"; exit 1; fi
                cat > /dev/null
                echo "$2" >> \(path("published"))
                echo "https://$1.example/p/$2"
                """)
        }
    }

    static func hook(_ script: String, retries: Int = 0, backoff: String = "10s") -> String {
        """
        [[hooks]]
        name = "publish"
        on = "reading.publish.*"
        run = ["\(script)", "{data.channel}", "{data.key}"]
        timeout = "5m"
        retries = \(retries)
        backoff = "\(backoff)"
        capture = true

        """
    }

    /// Polls `condition` (hooks run as real processes, in real time). Long, as in the hooks'
    /// tests: the whole suite's blocking tests can starve this process's task pool (a hook of
    /// one line was seen to take 40 s then); it returns as soon as the condition holds.
    func eventually(_ seconds: Double = 180, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    static let shanghai = CommunityZone(identifier: PluginHarness.defaultTimezone)!
    static func t(_ text: String) -> Int64 { CommunityZone.$current.withValue(shanghai) { ValueParser.time(text)! } }
    static func iso(_ t: Int64) -> String { ValueParser.iso8601(t, in: shanghai) }

    /// Channel → count, from `reading.channels`.
    func channelCounts(_ h: PluginHarness, _ key: String) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try await h.ok("reading.channels").data.array { out[row["channel"]!.string!] = row[key]?.int }
        return out
    }

    // MARK: Three weeks, six channels, 537 posts pushed

    /// Three weeks of the library's lockdown service (2022-01-03 to 2022-01-23): a daily tips
    /// series on all six channels, a twice-weekly science series, six to seven recommendations a
    /// day on the three API channels; Weibo's token expires for two days and its failed posts
    /// are sent again in bulk; staff publish the hand channels from the queue. The report
    /// counts exactly 537 posts pushed.
    @Test func threeWeeksOfPostsAcrossSixChannelsAdd537ToTheReport() async throws {
        let s = Scripts()
        let clock = ManualClock(Self.t("2022-01-03T00:00+08:00"))
        let h = try await PluginHarness(Self.plugins, config: Self.channels + Self.hook(s.publisher()), clock: clock)
        defer { h.remove() }

        // 21 tips: untitled entries take the series' title and number.
        let tips = (1...21).map { "居家防疫第\($0)天：\($0 % 2 == 0 ? "开窗通风，每天两次" : "勤洗手，七步洗手法")。" }.joined(separator: "\n---\n")
        let added = try await h.ok("reading.series.add tips title=防疫之安心居家小技巧 cadence=\"daily 09:00\" channels=wechat,weibo,app,抖音,喜马拉雅,视频号",
                                   body: tips, as: .operator)
        #expect(added["posts"]?.array.count == 21 && added["first"] == .string(Self.iso(Self.t("2022-01-03T09:00"))))
        // Six science talks, Mondays and Thursdays at 20:00, each with its own title.
        let science = (1...6).map { "# 关于新冠肺炎你需要知道的科普知识（\($0)）\n第\($0)讲：病毒如何传播。\n\n附：居家测温方法" }.joined(separator: "\n---\n")
        let talks = try await h.ok("reading.series.add 科普 cadence=\"weekly mon,thu 20:00\" channels=wechat,weibo,ximalaya",
                                   body: science, as: .operator)
        #expect(talks["last"] == .string(Self.iso(Self.t("2022-01-20T20:00"))), "Mon 3, Thu 6, … Thu 20")
        // 131 recommendations on the API channels: six a day, a seventh the first five evenings.
        var recommendations = 0
        for day in 0..<21 {
            for hour in [8, 10, 12, 14, 16, 18] + (day < 5 ? [21] : []) {
                let date = String(format: "2022-01-%02dT%02d:00", 3 + day, hour)
                try await h.ok("reading.post.add title=\"馆藏推荐 \(date)\" channels=wechat,weibo,app at=\(date) series=馆藏推荐",
                               body: "今日推荐：《平凡的世界》第\(recommendations + 1)章\n线上借阅：https://lib.example/\(recommendations)", as: .operator)
                recommendations += 1
            }
        }
        #expect(recommendations == 131)
        let scheduled = try await h.ok("reading.post.list status=scheduled").data.array
        #expect(scheduled.count == 21 + 6 + 131)
        let times = Set(scheduled.compactMap { $0["at"]?.string }.compactMap { Self.t($0) }).sorted()

        let manual = ["douyin", "ximalaya", "shipinhao"]
        var expired = false, retried = false, confirmed = 0, failedWhileExpired = 0
        for time in times {
            if !expired, time >= Self.t("2022-01-10T00:00") {
                s.touch("weibo-expired")                      // the token expires on Monday 10th
                expired = true
            }
            if !retried, time >= Self.t("2022-01-12T00:00") {
                // Wednesday 12th, 07:30: the token is renewed and every failed post is sent again.
                clock.set(Self.t("2022-01-12T07:30"))
                s.remove("weibo-expired")
                let failed = try await h.ok("reading.post.list status=failed channel=weibo").data.array
                failedWhileExpired = failed.count
                #expect(try await h.error("reading.retry channel=weibo post=1", as: .operator).code == 409, "post 1 was not failed")
                let retry = try await h.ok("reading.retry channel=weibo failed-since=2022-01-10", as: .operator)
                #expect(retry["retried"]?.array.count == failed.count)
                #expect(try await eventually { try await channelCounts(h, "due")["weibo"] == 0 })
                retried = true
            }
            clock.set(time)
            let upTo = Self.iso(time + 1)
            #expect(try await eventually {
                // In this order: once nothing is scheduled up to now, a post is due until its hook's outcome.
                guard try await h.ok("reading.post.list status=scheduled to=\(upTo)").data.array.isEmpty else { return false }
                let due = try await channelCounts(h, "due")
                return due["wechat"] == 0 && due["weibo"] == 0 && due["app"] == 0
            }, "everything due at \(Self.iso(time)) went out")
            // Staff publish the hand channels from the queue, oldest first, and confirm.
            for channel in manual {
                let queue = try await h.ok("reading.queue \(channel)").data.array
                let due = queue.compactMap { $0["due_at"]?.string }
                #expect(due == due.sorted(), "oldest first")
                for item in queue {
                    let id = item["post"]!.int!
                    try await h.ok("reading.post.published \(id) channel=\(channel) url=https://\(channel).example/\(id)", as: .operator)
                    confirmed += 1
                }
            }
        }
        clock.set(Self.t("2022-01-24T00:00"))
        #expect(failedWhileExpired == 15, "Weibo on the 10th (tips, 6 recommendations, a talk) and the 11th (tips, 6)")
        #expect(confirmed == 21 * 3 + 6, "tips on three hand channels, talks on Ximalaya")

        let report = try await h.ok("reading.report from=2022-01-03 to=2022-01-23")
        let unpublished = try await h.ok("reading.post.list").data.array.filter { $0["channels"]!.array.contains { $0["status"] != "published" } }
        for post in unpublished {
            Issue.record("not published everywhere: \(try await h.ok("reading.post.show \(post["id"]!.int!)").data.serialized)")
        }
        #expect(report["published"] == 537, "\(report.data)")
        #expect(report["posts"] == .number(21 + 6 + 131) && report["failures"] == 15 && report["failed_now"] == 0 && report["due_now"] == 0)
        var perChannel: [String: Int] = [:]
        for row in report["channels"]!.array { perChannel[row["channel"]!.string!] = row["published"]?.int }
        #expect(perChannel == ["wechat": 158, "weibo": 158, "app": 152, "douyin": 21, "ximalaya": 27, "shipinhao": 21])
        let text = report.lines ?? []
        #expect(text.contains { $0.hasPrefix("posts pushed: 537 (158 posts) · failures: 15") }, "\(text)")
        #expect(text.contains { $0.hasPrefix("微信公众号  api ") }, "display names aligned: \(text)")

        let days = try await h.ok("reading.report from=2022-01-03 to=2022-01-23 by=day")["days"]!.array
        #expect(days.count == 21 && days.compactMap { $0["published"]?.int }.reduce(0, +) == 537)
        func weibo(_ date: String) -> Int? { days.first { $0["date"] == .string(date) }?["channels"]?["weibo"]?.int }
        #expect(weibo("2022-01-10") == 0 && weibo("2022-01-11") == 0 && weibo("2022-01-12") == 7 + 15 && weibo("2022-01-03") == 1 + 7 + 1)
        #expect(try await h.ok("reading.report from=2022-01-10 to=2022-01-10")["published"] == .number(5 + 6 * 2 + 2),
                "the 10th: the tip on 5 channels (not Weibo), 6 recommendations on 2, the talk on 2")
        // Each API publication ran its hook once: 158 + 158 + 152 - 0 duplicates.
        let keys = s.lines("published")
        #expect(keys.count == 468 && Set(keys).count == 468)
        let show = try await h.ok("reading.post.show 1")
        #expect(show["channels"]?.array.first?["url"] == "https://wechat.example/p/reading-1-wechat")
        #expect(show["title"] == "防疫之安心居家小技巧（1）")

        // The figures survive a restart (snapshot and journal).
        try await h.snapshot()
        try await h.restart()
        #expect(try await h.ok("reading.report from=2022-01-03 to=2022-01-23")["published"] == 537)
        await h.stop()
    }

    // MARK: Due times across a restart

    /// Posts that fell due while the daemon was stopped are due at the start, once each: the
    /// API ones go to their hook once, the hand ones enter the queue once.
    @Test func postsDueWhileStoppedAreDueAtStartExactlyOnce() async throws {
        let s = Scripts()
        let clock = ManualClock(Self.t("2022-01-12T08:00+08:00"))
        let config = Self.channels + Self.hook(s.publisher())
        let h = try await PluginHarness(Self.plugins, config: config, clock: clock)
        defer { h.remove() }
        for (i, at) in ["09:00", "09:30", "10:00"].enumerated() {
            try await h.ok("reading.post.add title=开馆预告\(i) channels=weibo,douyin at=2022-01-12T\(at)", body: "正文 \(i)", as: .operator)
        }
        try await h.ok("reading.post.add title=明日 channels=wechat at=2022-01-13T09:00", body: "明天", as: .operator)
        await h.stop()
        clock.set(Self.t("2022-01-12T12:00"))        // down from 08:00 to 12:00
        try await h.restart()
        #expect(try await eventually { s.lines("published").count == 3 })
        #expect(try await eventually { try await channelCounts(h, "published")["weibo"] == 3 })
        #expect(try await h.ok("reading.queue douyin").data.array.map { $0["post"]?.int } == [1, 2, 3])
        #expect(try await h.ok("reading.post.show 4")["channels"]?.array.first?["status"] == "scheduled", "tomorrow's is not due")
        try await h.restart()
        try await h.settle()
        try await Task.sleep(for: .milliseconds(300))
        #expect(s.lines("published").count == 3, "nothing went out twice")
        #expect(h.published("reading.publish.*").count == 3 && h.published("reading.post.queued").count == 3)
        #expect(try await h.ok("reading.queue douyin").data.array.count == 3)
        let due = try await h.recorded(plugin: "reading-promotion").filter { $0.type == "post.due" }
        #expect(due.count == 3, "one due record per post")
        clock.set(Self.t("2022-01-13T09:00"))
        #expect(try await eventually { s.lines("published").count == 4 })
        await h.stop()
    }

    // MARK: Hook outcomes

    /// A publisher that fails is retried by the hooks service (the post stays due, with the
    /// reason), then given up (the post fails with it); `reading.retry` sends it again.
    @Test func aFailingPublisherLeavesThePostDueThenFailedThenRetried() async throws {
        let s = Scripts()
        s.touch("weibo-expired")
        let h = try await PluginHarness(Self.plugins, config: Self.channels + Self.hook(s.publisher(), retries: 1, backoff: "10s"))
        defer { h.remove() }
        try await h.ok("reading.post.add title=春节活动 channels=weibo at=now", body: "新春习俗听我说", as: .operator)
        #expect(try await eventually { try await h.ok("reading.post.show 1")["channels"]?.array.first?["last_error"]?.string != nil })
        var weibo = try #require(try await h.ok("reading.post.show 1")["channels"]?.array.first)
        #expect(weibo["status"] == "due")
        #expect(weibo["last_error"]?.string?.contains("access token expired (21332)") == true, "\(weibo)")
        #expect(try await h.error("reading.post.published 1 channel=weibo url=https://x.example/1", as: .operator).code == 409,
                "its hook is still at it")
        h.clock.advance(by: .seconds(10))
        #expect(try await eventually { try await h.ok("reading.post.show 1")["channels"]?.array.first?["status"] == "failed" })
        weibo = try #require(try await h.ok("reading.post.show 1")["channels"]?.array.first)
        #expect(weibo["reason"]?.string?.hasPrefix("hook publish gave up after attempt 2: failed (exit 1): weibo: access token expired") == true,
                "\(weibo)")
        #expect(h.published("reading.post.failed").count == 1)
        s.remove("weibo-expired")
        #expect(try await h.ok("reading.retry channel=微博", as: .operator)["retried"] == [1])
        #expect(try await eventually { try await h.ok("reading.post.show 1")["channels"]?.array.first?["status"] == "published" })
        weibo = try #require(try await h.ok("reading.post.show 1")["channels"]?.array.first)
        #expect(weibo["url"] == "https://weibo.example/p/reading-1-weibo" && weibo["attempts"] == 2 && weibo["published_by"] == "hook publish")
        #expect(try await h.ok("reading.report")["failures"] == 1)
        await h.stop()
    }

    /// Only the channel's own hook counts when it names one: another hook on the same event
    /// (a log, say) neither publishes nor fails the post.
    @Test func anotherHooksOutcomeDoesNotCount() async throws {
        let s = Scripts()
        s.script("log.sh", "echo https://wrong.example; exit 0")
        s.script("slow.sh", "while [ ! -f \(s.path("go")) ]; do sleep 0.05; done; echo https://weibo.example/ok")
        let h = try await PluginHarness(Self.plugins, config: Self.channels + """
            [[hooks]]
            name = "log"
            on = "reading.*"
            run = ["\(s.path("log.sh"))"]
            timeout = "5m"
            capture = true
            [[hooks]]
            name = "publish"
            on = "reading.publish.weibo"
            run = ["\(s.path("slow.sh"))"]
            timeout = "5m"
            capture = true

            """)
        defer { h.remove() }
        try await h.ok("reading.post.add title=讲座 channels=weibo at=now", body: "陕图讲坛", as: .operator)
        #expect(try await eventually { h.published("hooks.succeeded").contains { $0.data["hook"] == "log" && $0.data["event"] == "reading.publish.weibo" } })
        try await h.settle()
        #expect(try await h.ok("reading.post.show 1")["channels"]?.array.first?["status"] == "due", "the log hook's success is not the publisher's")
        s.touch("go")
        #expect(try await eventually { try await h.ok("reading.post.show 1")["channels"]?.array.first?["url"] == "https://weibo.example/ok" })
        await h.stop()
    }

    // MARK: The queue

    @Test func theQueueGivesTitleAndTextExactlyAsToPasteOldestFirst() async throws {
        let clock = ManualClock(Self.t("2022-01-14T08:00+08:00"))
        let h = try await PluginHarness([ReadingPromotionPlugin.self], config: Self.channels, clock: clock)
        defer { h.remove() }
        let body = "“饭可一日不吃，书不可一日不读。”\n\n\t待到春暖花开时，我在省图等你。  \n——邱跃"
        try await h.ok("reading.post.add title=等你 channels=抖音,视频号 at=2022-01-14T10:00", body: body + "\n\n", as: .operator)
        try await h.ok("reading.post.add title=更早 channels=抖音 at=2022-01-14T09:00", body: "早", as: .operator)
        #expect(try await h.ok("reading.queue").data.array.isEmpty)
        clock.set(Self.t("2022-01-14T11:00"))
        #expect(try await eventually { try await h.ok("reading.queue douyin").data.array.count == 2 })
        let queue = try await h.ok("reading.queue 抖音")
        #expect(queue.data.array.map { $0["post"]?.int } == [2, 1], "oldest due first")
        #expect(queue.data.array.last?["body"] == .string(body), "the text as written, without the trailing blank lines")
        let lines = queue.lines ?? []
        let start = try #require(lines.firstIndex { $0.contains("post 1") })
        #expect(Array(lines[(start + 1)...(start + 6)]) == ["等你", "", "“饭可一日不吃，书不可一日不读。”", "", "\t待到春暖花开时，我在省图等你。  ", "——邱跃"])
        #expect(lines[start + 7] == "── then: reading.post.published 1 channel=douyin url=… ──")
        #expect(try await h.error("reading.queue weibo").code == 422, "an api channel has no queue")
        try await h.ok("reading.post.published 1 channel=douyin url=https://v.douyin.example/1", as: .operator)
        #expect(try await h.ok("reading.queue douyin").data.array.map { $0["post"]?.int } == [2])
        #expect(try await h.ok("reading.queue").data.array.count == 2, "post 2 on 抖音, post 1 on 视频号")
        let again = try await h.error("reading.post.published 1 channel=douyin url=https://v.douyin.example/2", as: .operator)
        #expect(again.code == 409 && again.message.contains("published"), "\(again.message)")
        #expect(try await h.error("reading.post.published 1 channel=weibo url=https://x.example", as: .operator).code == 404)
        #expect(try await h.error("reading.post.published 1 channel=shipinhao url=ftp://x", as: .operator).code == 422)
        // A post waiting in the queue can be cancelled; a published one cannot.
        try await h.ok("reading.post.cancel 1 channel=视频号 reason=重复", as: .operator)
        #expect(try await h.error("reading.post.cancel 1 channel=douyin", as: .operator).code == 409)
        #expect(try await h.ok("reading.queue").data.array.count == 1)
        await h.stop()
    }

    // MARK: Series and edits

    @Test func seriesFollowTheirCadenceAndEditsCancelsRetriesAreChecked() async throws {
        let clock = ManualClock(Self.t("2022-01-05T21:00+08:00"))   // a Wednesday evening
        let config = Self.channels + """
            [plugins.reading-promotion.series."习俗"]
            title = "新春习俗听我说"
            cadence = "weekly mon,thu 20:00"
            channels = ["wechat", "ximalaya"]
            audience = "残疾人读者"

            """
        let h = try await PluginHarness([ReadingPromotionPlugin.self], config: config, clock: clock)
        defer { h.remove() }
        let added = try await h.ok("reading.series.add 习俗", body: "腊八\n---\n# 小年\n祭灶\n---\n\n---\n除夕\n", as: .operator)
        let posts = try await h.ok("reading.series.show 习俗")["posts"]!.array
        #expect(added["posts"] == [1, 2, 3], "the empty entry is skipped")
        #expect(posts.map { $0["at"]?.string } == ["2022-01-06T20:00:00+08:00", "2022-01-10T20:00:00+08:00", "2022-01-13T20:00:00+08:00"])
        #expect(posts.map { $0["title"]?.string } == ["新春习俗听我说（1）", "小年", "新春习俗听我说（3）"])
        #expect(posts.first?["audience"] == "残疾人读者")
        let extended = try await h.ok("reading.series.extend 习俗", body: "元宵", as: .operator)
        #expect(extended["first"] == "2022-01-17T20:00:00+08:00")
        #expect(try await h.ok("reading.post.show 4")["title"] == "新春习俗听我说（4）")
        #expect(try await h.error("reading.series.add 习俗", body: "x", as: .operator).code == 409)
        #expect(try await h.error("reading.series.add 新 cadence=\"weekly fun 20:00\" channels=wechat", body: "x", as: .operator).code == 422)
        #expect(try await h.error("reading.series.add 新 cadence=\"daily 9:00\" channels=wechat", body: "x", as: .operator).code == 422)
        #expect(try await h.error("reading.series.add 新 channels=wechat", body: "x", as: .operator).code == 420)
        #expect(try await h.error("reading.series.add 新 cadence=\"daily 09:00\" channels=wechat", body: "\n---\n", as: .operator).code == 422)
        #expect(try await h.error("reading.series.add 长 cadence=\"daily 09:00\" channels=douyin", body: "# " + String(repeating: "题", count: 31) + "\n正文",
                                  as: .operator).message.contains("entry 1's title is 31 characters; 抖音 (douyin) takes at most 30"))

        // Edits while scheduled; not once due.
        let edited = try await h.ok("reading.post.edit 1 title=腊八节 channels=wechat,weibo at=2022-01-06T19:00", body: "腊八粥", as: .operator)
        #expect(edited["title"] == "腊八节" && edited["body"] == "腊八粥" && edited["at"] == "2022-01-06T19:00:00+08:00")
        #expect(edited["channels"]?.array.map { $0["channel"]?.string } == ["wechat", "weibo"])
        #expect(try await h.error("reading.post.edit 1", as: .operator).code == 422, "nothing to change")
        clock.set(Self.t("2022-01-06T19:00"))
        #expect(try await eventually { try await h.ok("reading.post.show 1")["channels"]?.array.first?["status"] == "due" })
        let late = try await h.error("reading.post.edit 1 title=x", as: .operator)
        #expect(late.code == 409 && late.message.contains("post 1 is due on 微信公众号"), "\(late.message)")
        // No hooks service here: the API channels stay due; their posts cannot be cancelled
        // meanwhile, unless forced (a hook that never answers), one channel at a time.
        #expect(try await h.error("reading.post.cancel 1", as: .operator).code == 409)
        #expect(try await h.error("reading.post.cancel 1 channel=wechat", as: .operator).message.contains("force=yes if its hook never answers"))
        #expect(try await h.error("reading.post.cancel 1 force=yes", as: .operator).code == 422)
        #expect(try await h.ok("reading.post.cancel 1 channel=wechat force=yes", as: .operator)["cancelled"] == ["wechat"])
        let stuck = try await h.error("reading.post.published 1 channel=weibo url=https://weibo.example/1", as: .operator)
        #expect(stuck.code == 409 && stuck.message.contains("its hook is publishing it"), "\(stuck.message)")
        try await h.ok("reading.post.published 1 channel=weibo url=https://weibo.example/1 force=yes", as: .operator)
        #expect(try await h.ok("reading.post.show 1")["channels"]?.array.map { $0["status"]?.string } == ["cancelled", "published"])
        #expect(try await h.error("reading.retry channel=wechat post=1", as: .operator).code == 409)
        #expect(try await h.ok("reading.retry channel=wechat", as: .operator)["retried"] == [])
        let cancelled = try await h.ok("reading.series.cancel 习俗 reason=改为线下", as: .operator)
        #expect(cancelled["cancelled"] == [2, 3, 4])
        clock.set(Self.t("2022-01-20T00:00"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await h.ok("reading.post.list status=scheduled").data.array.isEmpty, "cancelled posts never fall due")
        #expect(try await h.ok("reading.post.list status=due").data.array.isEmpty)
        #expect(try await h.ok("reading.series.list").data.array.first?["cancelled_at"] != .null)
        await h.stop()
    }

    @Test func cadenceSlotsFollowTheCommunitysZoneAcrossDaylightSaving() throws {
        let ny = CommunityZone(identifier: "America/New_York")!
        let cadence = try Cadence("weekly sun,mon 02:30")
        // 2022-03-13 is the spring-forward Sunday: 02:30 does not exist; the offset before applies.
        let start = CommunityZone.$current.withValue(ny) { ValueParser.time("2022-03-12T12:00")! }
        let slots = cadence.slots(3, from: start, in: ny).map { ValueParser.iso8601($0, in: ny) }
        #expect(slots == ["2022-03-13T03:30:00-04:00", "2022-03-14T02:30:00-04:00", "2022-03-20T02:30:00-04:00"], "\(slots)")
        #expect(try Cadence("Daily 09:00").description == "daily 09:00")
        #expect(try Cadence("weekly thu,mon 20:00").description == "weekly mon,thu 20:00")
        for bad in ["", "hourly 09:00", "daily", "daily 24:00", "weekly 20:00", "weekly mon,,thu 20:00", "daily 09:00 extra"] {
            #expect(throws: Cadence.Invalid.self, "\(bad)") { try Cadence(bad) }
        }
        let shanghai = Self.shanghai
        let daily = try Cadence("daily 09:00").slots(2, from: Self.t("2022-01-03T09:00"), in: shanghai)
        #expect(daily.map { ValueParser.iso8601($0, in: shanghai) } == ["2022-01-03T09:00:00+08:00", "2022-01-04T09:00:00+08:00"],
                "a slot at the start itself counts")
    }

    // MARK: Online events

    @Test func anEventFillsUpTakesAWaitlistPromotesOnCancelRemindsAndCountsAttendance() async throws {
        let clock = ManualClock(Self.t("2022-01-20T10:00+08:00"))
        let h = try await PluginHarness([ReadingPromotionPlugin.self], config: Self.channels, clock: clock)
        defer { h.remove() }
        let event = try await h.ok("reading.event.add title=陕图讲坛·舌尖上的陕西 at=2022-01-22T19:30 duration=90m capacity=2 channel=视频号 link=https://live.example/1",
                                   as: .operator)
        #expect(event["remind_at"] == "2022-01-22T19:00:00+08:00" && event["waitlist"] == true)
        #expect(try await h.ok("reading.event.register 1 name=王芳 contact=13800001111", as: .operator)["status"] == "registered")
        #expect(try await h.ok("reading.event.register 1 name=李伟 contact=13800002222", as: .operator)["status"] == "registered")
        let third = try await h.ok("reading.event.register 1 name=张敏 contact=13800003333", as: .operator)
        #expect(third["status"] == "waitlisted" && third["position"] == 1)
        #expect(try await h.ok("reading.event.register 1 name=刘强 contact=wx_liuqiang", as: .operator)["position"] == 2)
        let twice = try await h.error("reading.event.register 1 name=王芳 contact=\"138-0000-1111\"", as: .operator)
        #expect(twice.code == 409 && twice.message.contains("already registered"), "the same phone written otherwise")
        let list = try await h.ok("reading.event.list")
        #expect(list.data.array.first?["registered"] == 2 && list.data.array.first?["waitlisted"] == 2 && list.data.array.first?["status"] == "full")

        let out = try await h.ok("reading.event.unregister 1 contact=13800001111", as: .operator)
        #expect(out["promoted"] == 3, "the first on the waitlist takes the place")
        let shown = try await h.ok("reading.event.show 1", as: .operator)
        #expect(shown["registrations"]?.array.map { $0["status"]?.string } == ["cancelled", "registered", "registered", "waitlisted"])
        #expect(shown["registrations"]?.array[2]["promoted_at"] == .string(Self.iso(clock.now())))
        #expect(h.published("reading.event.promoted").map { $0.data["registration"] } == [3])
        #expect(try await h.error("reading.event.unregister 1 contact=13800001111", as: .operator).code == 404)

        // Viewers see neither names nor contacts; no event carries them.
        let masked = try await h.ok("reading.event.show 1", as: .viewer)["registrations"]!.array
        #expect(masked.map { $0["name"]?.string } == ["王*", "李*", "张*", "刘*"])
        #expect(masked.map { $0["contact"]?.string } == ["138****1111", "138****2222", "138****3333", "w***"])
        let everything = h.published("reading.*").map(\.data.serialized).joined()
        for secret in ["王芳", "李伟", "张敏", "刘强", "13800001111", "wx_liuqiang"] { #expect(!everything.contains(secret), "\(secret) in an event") }

        // No waitlist: full is full.
        try await h.ok("reading.event.add title=2022跨年大挑战 at=2022-01-21T20:00 duration=1h capacity=1 waitlist=no remind=0", as: .operator)
        try await h.ok("reading.event.register 2 name=赵磊 contact=13900000001", as: .operator)
        let full = try await h.error("reading.event.register 2 name=黄丽 contact=13900000002", as: .operator)
        #expect(full.code == 409 && full.message == "event 2 is full (1 of 1) and takes no waitlist")

        // The reminder goes out once, 30 minutes before; none for event 2 (remind=0).
        clock.set(Self.t("2022-01-22T18:59"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(h.published("reading.event.reminder").isEmpty)
        clock.set(Self.t("2022-01-22T19:00"))
        #expect(try await eventually { h.published("reading.event.reminder").count == 1 })
        let reminder = try #require(h.published("reading.event.reminder").first)
        #expect(reminder.data["event"] == 1 && reminder.data["link"] == "https://live.example/1" && reminder.data["registered"] == 2)
        try await h.restart()
        try await Task.sleep(for: .milliseconds(200))
        #expect(h.published("reading.event.reminder").count == 1, "not again after a restart")

        #expect(try await h.error("reading.event.attended 1 names=李伟", as: .operator).code == 409, "before the start")
        clock.set(Self.t("2022-01-22T21:00"))
        #expect(try await h.error("reading.event.attended 1 names=李伟,不认识", as: .operator).code == 404)
        #expect(try await h.ok("reading.event.attended 1 names=李伟,张敏", as: .operator)["attendance"] == 2)
        #expect(try await h.ok("reading.event.attended 2 count=316", as: .operator)["attendance"] == 316)
        #expect(try await h.error("reading.event.register 1 name=新 contact=13700000000", as: .operator).code == 409, "it has ended")
        let report = try await h.ok("reading.report")
        #expect(report["events"] == 2 && report["registrations"] == 3 && report["waitlisted"] == 1 && report["promoted"] == 1
            && report["attendance"] == 318)
        await h.stop()
    }

    // MARK: Invitations

    @Test func invitationsAreMaskedForViewersAndExportForExcel() async throws {
        let h = try await PluginHarness([ReadingPromotionPlugin.self], config: Self.channels)
        defer { h.remove() }
        try await h.ok("reading.invite.add name=邱跃 contact=13912345678 note=\"待到春暖花开时，我在省图等你\"", as: .operator)
        try await h.ok("reading.invite.add name=\"O'Neil, Ann\" contact=ann@example.com at=2022-01-11T08:00", as: .operator)
        #expect(try await h.error("reading.invite.add name=邱跃 contact=\"139 1234 5678\"", as: .operator).code == 409)
        #expect(try await h.error("reading.invite.add name=x contact=\"--\"", as: .operator).code == 422)
        let viewer = try await h.ok("reading.invites", as: .viewer).data.array
        #expect(viewer.map { $0["name"]?.string } == ["O**********", "邱*"], "oldest first")
        #expect(viewer.map { $0["contact"]?.string } == ["a***", "139****5678"] && viewer.last?["note"] == "***")
        #expect(try await h.error("reading.invites.export format=csv", as: .viewer).code == 403)
        let export = try await h.ok("reading.invites.export format=csv", as: .operator)
        let csv = try #require(export["csv"]?.string)
        #expect(csv.hasPrefix("\u{FEFF}编号,姓名,联系方式,留言,登记时间\r\n2,\"O'Neil, Ann\",ann@example.com,,2022-01-11 08:00\r\n"), "\(csv)")
        #expect(csv.hasSuffix("待到春暖花开时，我在省图等你," + String(ValueParser.display(h.clock.now()).prefix(16)) + "\r\n")
            || csv.contains("1,邱跃,13912345678,待到春暖花开时，我在省图等你,"))
        #expect(export.lines?.first == "\u{FEFF}编号,姓名,联系方式,留言,登记时间")
        #expect(try await h.ok("reading.invites.export format=csv headers=en", as: .operator)["csv"]?.string?.hasPrefix("\u{FEFF}id,name,contact,note,registered\r\n") == true)
        #expect(try CSV.parse(csv).map(\.fields.count) == [5, 5, 5])
        #expect(try await h.ok("reading.report")["invitations"] == 2)
        await h.stop()
    }

    // MARK: Bad input

    /// Each bad input is a specific 4xx and records nothing.
    @Test func badInputIsRefusedWithItsReasonAndNothingIsRecorded() async throws {
        let clock = ManualClock(Self.t("2022-01-12T08:00+08:00"))
        let h = try await PluginHarness([ReadingPromotionPlugin.self], config: Self.channels, clock: clock)
        defer { h.remove() }
        try await h.ok("reading.post.add title=已有 channels=douyin at=2022-01-12T09:00", body: "x", as: .operator)
        try await h.ok("reading.event.add title=讲座 at=2022-01-13T19:00 duration=1h capacity=1 waitlist=no", as: .operator)
        try await h.ok("reading.event.register 1 name=王芳 contact=13800001111", as: .operator)
        let before = try await h.recorded(plugin: "reading-promotion").count
        let cases: [(String, String?, Int, String)] = [
            ("reading.post.add title=t channels=weixin at=now", "x", 404, "unknown channel 'weixin'; the channels are app (图书馆App), douyin (抖音)"),
            ("reading.post.add title=t channels=wechat,wiebo at=now", "x", 404, "unknown channel 'wiebo' (did you mean weibo?)"),
            ("reading.post.add title=t channels=wechat at=2022-01-12T07:58", "x", 422, "argument 'at': 2022-01-12 07:58 +08:00 is in the past (now 2022-01-12 08:00 +08:00)"),
            ("reading.post.add title=t channels=wechat at=2022-01-12T25:00", "x", 422, "hour 25"),
            ("reading.post.add title=t channels=weibo at=now", String(repeating: "长", count: 2001), 422, "the post's text is 2001 characters; 微博 (weibo) takes at most 2000"),
            ("reading.post.add title=\(String(repeating: "题", count: 31)) channels=wechat,douyin at=now", "x", 422, "the post's title is 31 characters; 抖音 (douyin) takes at most 30"),
            ("reading.post.add title=t channels=wechat at=now", "\n  \n", 422, "the post has no text"),
            ("reading.post.add title=t channels=wechat,微信公众号 at=now", "x", 422, "wechat is named twice"),
            ("reading.post.add title=t channels=wechat at=now", nil, 420, "needs a body"),
            ("reading.post.add title=t at=now", "x", 420, "channels"),
            ("reading.post.add title=t channels=wechat at=now", "x", 403, "needs role operator"),
            ("reading.post.show 9", nil, 404, "post 9 does not exist (posts are 1 to 1)"),
            ("reading.post.edit 9 title=x", nil, 404, "post 9 does not exist"),
            ("reading.post.cancel 9", nil, 404, "post 9 does not exist"),
            ("reading.post.published 1 channel=douyin url=https://x.example", nil, 409, "post 1 is scheduled on 抖音 (due 2022-01-12 09:00 +08:00); it is not due yet"),
            ("reading.post.published 1 channel=weibo url=https://x.example", nil, 404, "post 1 is not on 微博 (weibo)"),
            ("reading.retry channel=nope", nil, 404, "unknown channel 'nope'"),
            ("reading.retry channel=weibo post=1", nil, 404, "post 1 is not on 微博"),
            ("reading.series.show 无", nil, 404, "series 无 does not exist"),
            ("reading.series.extend 无", "x", 404, "series 无 does not exist"),
            ("reading.series.add s cadence=\"daily 09:00\" channels=wechat start=2022-01-01", "x", 422, "argument 'start'"),
            ("reading.event.add title=e at=2022-01-11T19:00 duration=1h capacity=3", nil, 422, "is in the past"),
            ("reading.event.add title=e at=now duration=0 capacity=3", nil, 422, "argument 'duration'"),
            ("reading.event.add title=e at=now duration=1h capacity=0", nil, 422, "capacity"),
            ("reading.event.add title=e at=now duration=1h capacity=3 channel=weixin", nil, 404, "unknown channel"),
            ("reading.event.register 9 name=a contact=1", nil, 404, "event 9 does not exist"),
            ("reading.event.register 1 name=王芳 contact=13800001111", nil, 409, "already registered"),
            ("reading.event.register 1 name=李伟 contact=13800002222", nil, 409, "event 1 is full (1 of 1) and takes no waitlist"),
            ("reading.event.unregister 1 contact=13900000000", nil, 404, "no registration"),
            ("reading.event.attended 1", nil, 420, "names="),
            ("reading.event.cancel 9 reason=x", nil, 404, "event 9 does not exist"),
            ("reading.invite.add name=a contact=1 at=2030-01-01", nil, 422, "is in the future"),
            ("reading.invites.export format=xlsx", nil, 422, "format"),
            ("reading.report by=week", nil, 422, "by"),
            ("reading.report from=2022-01-12 to=2022-01-11", nil, 422, "not after"),
            ("reading.post.list status=sent", nil, 422, "status"),
        ]
        for (line, body, code, message) in cases {
            let role: Role = code == 403 ? .viewer : .operator
            let error = try await h.error(line, body: body, as: role)
            #expect(error.code == code && error.message.contains(message), "\(line) → \(error.code) \(error.message)")
        }
        #expect(try await h.recorded(plugin: "reading-promotion").count == before, "nothing recorded")
        await h.stop()
    }

    @Test func badChannelConfigIsRefusedNamingTheKey() async throws {
        let cases: [(String, String)] = [
            ("[plugins.reading-promotion.channels.weibo]\nkind = \"auto\"\n", "channels.weibo.kind: expected \"api\" or \"manual\""),
            ("[plugins.reading-promotion.channels.weibo]\nname = \"微博\"\n", "channels.weibo.kind: missing"),
            ("[plugins.reading-promotion.channels.weibo]\nkind = \"api\"\nmax_len = 3\n", "channels.weibo.max_len: unknown key 'max_len'"),
            ("[plugins.reading-promotion.channels.douyin]\nkind = \"manual\"\nhook = \"x\"\n", "only an api channel has a hook"),
            ("[plugins.reading-promotion.channels.Weibo]\nkind = \"api\"\n", "channel id 'Weibo' must be lowercase"),
            ("[plugins.reading-promotion]\nreminder_lead = \"soon\"\n", "reminder_lead: expected a duration"),
            ("[plugins.reading-promotion.series.tips]\ncadence = \"daily 9\"\n", "series.tips.cadence: cadence \"daily 9\""),
            ("[plugins.reading-promotion.series.tips]\nchannels = [\"weibo\"]\n", "series.tips.channels: no channel 'weibo'"),
        ]
        for (config, message) in cases {
            do {
                let h = try await PluginHarness([ReadingPromotionPlugin.self], config: config)
                await h.stop()
                h.remove()
                Issue.record("accepted: \(config)")
            } catch {
                #expect("\(error)".contains(message), "\(config) → \(error)")
                #expect("\(error)".contains("[plugins.reading-promotion]"), "\(error)")
            }
        }
    }

    @Test func everyCommandIsDeclaredWithTheReadingNamespace() {
        let names = ReadingPromotionPlugin.commands.map(\.spec.name)
        #expect(names.allSatisfy { $0.hasPrefix("reading.") } && Set(names).count == names.count && names.count == 25)
        #expect(ReadingState.handlers.duplicates.isEmpty)
    }
}
