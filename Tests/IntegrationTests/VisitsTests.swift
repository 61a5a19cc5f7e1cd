import Foundation
import Testing

@Suite("Visits", .serialized)
final class VisitsTests {
    let daemon: DaemonProcess

    init() throws {
        daemon = try DaemonProcess()
        daemon.dir.write("community.csv", CommunityFixture.csv().text)
        #expect(try daemon.ctl(["--data", daemon.dir.file("community.csv"), "roster.import", "format=csv"]).status == 0)
    }

    deinit { daemon.stop() }

    func data(_ args: [String]) throws -> [String: Any] {
        let r = try daemon.ctl(["--json"] + args)
        let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        return try #require(object?["data"] as? [String: Any], "\(args): \(r.out) \(r.err)")
    }

    func list(_ args: [String]) throws -> [[String: Any]] {
        let r = try daemon.ctl(["--json"] + args)
        let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        return try #require(object?["data"] as? [[String: Any]], "\(args): \(r.out) \(r.err)")
    }

    /// Sends many requests pipelined through doorstepctl's stdin; all must succeed.
    func pipeline(_ lines: [String]) throws {
        let r = try daemon.ctl([], stdin: lines.joined(separator: "\n") + "\n")
        #expect(r.status == 0, "\(r.err.prefix(500))")
    }

    /// `roster.household` is answered on the event loop; pipelined after a write on the same
    /// connection it must still come after that write's reply and show it (read-your-writes).
    @Test func aReadPipelinedAfterAWriteSeesIt() throws {
        #expect(try daemon.client().request("visits.campaign.start 管道 deadline=\(Deadline.ahead) buildings=3").final.hasPrefix("200"))
        let households = try list(["visits.worklist"]).compactMap { $0["household"] as? String }.prefix(60)
        #expect(households.count == 60)
        let c = try daemon.client()
        var batch = ""
        for (i, h) in households.enumerated() {
            batch += "@w\(i) visits.record \(h) outcome=answered people=\(i % 5 + 1) visitor=志愿者\(i)\n"
            batch += "@r\(i) roster.household \(h)\n@p\(i) ping\n@x\(i) roster.household 99-9-999\n"
        }
        try c.send(batch)
        for (i, h) in households.enumerated() {
            let write = try c.readReply()
            #expect(write.last?.hasPrefix("@w\(i) 200") == true, "\(write)")
            let read = try c.readReply()
            #expect(read.allSatisfy { $0.hasPrefix("@r\(i) ") }, "\(read)")
            #expect(read.contains("@r\(i) 200-household: \(h)"), "\(read)")
            #expect(read.contains { $0.contains("visitor:") && $0.hasSuffix("志愿者\(i)") }, "household \(h) must show visit \(i): \(read)")
            #expect(try c.readReply() == ["@p\(i) 200 pong"])
            #expect(try c.readReply().last?.hasPrefix("@x\(i) 404") == true)
        }
    }

    @Test func aCampaignWalkedToFullCoverage() throws {
        #expect(try daemon.client().request("visits.campaign.start 一号楼 deadline=\(Deadline.ahead) buildings=1,2").final
            .hasPrefix("200 campaign 一号楼 started: 200 households"))
        #expect(try daemon.client().request("visits.assign building=1 visitor=刘敏").final.hasPrefix("200"))
        #expect(try daemon.client().request("visits.assign building=2 visitor=王强").final.hasPrefix("200"))
        let work = try list(["visits.worklist", "visitor=刘敏"])
        #expect(work.count == 100)
        #expect(work.first?["household"] as? String == "1-1-101")
        let households = try list(["visits.worklist"]).compactMap { $0["household"] as? String }
        #expect(households.count == 200)
        // First sweep: 150 answered, 30 no answer, 20 vacant.
        var lines: [String] = []
        for (i, h) in households.enumerated() {
            let outcome = i < 150 ? "answered people=3" : (i < 180 ? "no-answer" : "vacant")
            lines.append("visits.record \(h) outcome=\(outcome)")
        }
        try pipeline(lines)
        var coverage = try data(["visits.coverage"])
        #expect(coverage["households_total"] as? Int == 200)
        #expect(coverage["households_visited"] as? Int == 170)
        #expect(coverage["residents_counted"] as? Int == 450)
        #expect(coverage["percent"] as? Double == 85)
        let revisits = try list(["visits.revisits"])
        #expect(revisits.count == 30)
        #expect(revisits.allSatisfy { $0["attempts"] as? Int == 1 })
        let left = try list(["visits.worklist"])
        #expect(left.count == 30, "only the revisits are left")
        // Second knock: still no answer at 10, answered at 20.
        let revisitIDs = revisits.compactMap { $0["household"] as? String }
        try pipeline(revisitIDs.enumerated().map { i, h in "visits.record \(h) outcome=" + (i < 10 ? "no-answer" : "answered people=2") })
        let again = try list(["visits.revisits"])
        #expect(again.count == 10 && again.allSatisfy { $0["attempts"] as? Int == 2 })
        try pipeline(again.compactMap { $0["household"] as? String }.map { "visits.record \($0) outcome=answered people=1" })
        coverage = try data(["visits.coverage", "by=visitor"])
        #expect(coverage["households_visited"] as? Int == 200)
        #expect(coverage["percent"] as? Double == 100)
        #expect(coverage["residents_counted"] as? Int == 450 + 40 + 10)
        #expect(coverage["on_track"] as? Bool == true)
        let byVisitor = try #require(coverage["by_visitor"] as? [[String: Any]])
        #expect(byVisitor.map { $0["visitor"] as? String } == ["刘敏", "王强"])
        #expect(try list(["visits.worklist"]).isEmpty)
        #expect(try list(["visits.revisits"]).isEmpty)
        #expect(try daemon.client().request("visits.campaign.close 一号楼").final == "200 campaign 一号楼 closed")
    }

    @Test func theEveningSweepIsReportedExactly() throws {
        #expect(try daemon.client().request("visits.campaign.start 夜间排查 deadline=\(Deadline.ahead) buildings=1,2,3,4,5,6,7").final
            .hasPrefix("200 campaign 夜间排查 started: 700 households"))
        let households = try list(["visits.worklist"]).compactMap { $0["household"] as? String }
        // 628 households and 1,448 people on the evening of January 10, 2022.
        var lines: [String] = []
        for (i, h) in households.prefix(628).enumerated() {
            let minute = String(format: "%02d", i % 60)
            lines.append("visits.record \(h) outcome=answered people=\(i < 192 ? 3 : 2) at=2022-01-10T\(18 + i / 200):\(minute)+08:00")
        }
        try pipeline(lines)
        let coverage = try data(["visits.coverage"])
        #expect(coverage["households_visited"] as? Int == 628)
        #expect(coverage["residents_counted"] as? Int == 1448)
        let report = try data(["visits.report", "date=2022-01-10"])
        #expect(report["households_visited_today"] as? Int == 628)
        #expect(report["people_counted_today"] as? Int == 1448)
        let before = try data(["visits.report", "date=2022-01-09"])
        #expect(before["households_visited_today"] as? Int == 0)
        #expect(try daemon.client().request("visits.report date=2022-1-9").final.hasPrefix("422 invalid_argument"))
    }

    @Test func needsAreOpenedPublishedAndResolved() throws {
        #expect(try daemon.client().request("visits.campaign.start 需求 deadline=\(Deadline.ahead) buildings=9").final.hasPrefix("200"))
        let subscriber = try daemon.client()
        #expect(try subscriber.request("subscribe visits.need.*").final.hasPrefix("200"))
        let reply = try daemon.client().request("visits.record 9-1-101 outcome=answered people=2 needs=\"medicine:降压药 每天一片;food:大米\"")
        #expect(reply.final.hasPrefix("200 recorded answered at 9-1-101; 2 needs opened"), "\(reply)")
        let first = try #require(try subscriber.readLine())
        #expect(first.hasPrefix("600 visits.need.opened "))
        #expect(first.contains(#""category":"medicine""#))
        #expect(!first.contains("降压药"), "free text stays out of events, which viewers receive")
        let open = try list(["visits.needs", "household=9-1-101"])
        #expect(open.count == 2)
        let id = try #require(open.first?["id"] as? Int)
        #expect(try daemon.client().request("visits.need.resolve \(id) note=已送达 by=刘敏").final == "200 need \(id) resolved")
        #expect(try daemon.client().request("visits.need.resolve \(id)").final.hasPrefix("409 conflict"))
        #expect(try list(["visits.needs", "household=9-1-101"]).count == 1)
        #expect(try list(["visits.needs", "status=resolved"]).count == 1)
        #expect(try subscriber.readLine()?.hasPrefix("600 visits.need.") == true)
        // Another plugin fulfils the other need over the event bus (as supplies will).
        let other = try #require(try list(["visits.needs", "household=9-1-101"]).first?["id"] as? Int)
        #expect(try daemon.client().request("probe.publish need.fulfilled need=\(other) text=大米送到").final.hasPrefix("200 published"))
        var resolved = false
        for _ in 0..<100 where !resolved {
            resolved = try list(["visits.needs", "household=9-1-101"]).isEmpty
            if !resolved { usleep(20_000) }
        }
        #expect(resolved, "a need.fulfilled event from another plugin resolves the need")
        let all = try list(["visits.needs", "status=resolved", "household=9-1-101"])
        #expect(all.contains { $0["by"] as? String == "probe" })
    }

    @Test func everyoneWhoShouldBeTestedIsTested() throws {
        let c = try daemon.client()
        for line in ["roster.resident.add 50-1-101 name=张大爷 birth_year=1935 tags=elderly-alone",
                     "roster.resident.add 50-1-101 name=李阿姨 birth_year=1950", "roster.resident.add 50-1-101 name=赵小明",
                     "roster.resident.add 50-1-102 name=赵小明", "roster.resident.add 50-1-102 name=钱多多 tags=disabled"] {
            #expect(try c.request(line).final.hasPrefix("200"), "\(line)")
        }
        let bigData = "name,household\n张大爷,50-1-101\n李阿姨,\n无名氏,\n赵小明,\n张大爷,50-1-999\n"
        let diff = try #require((try JSONSerialization.jsonObject(with: Data(try daemon.ctl(["--json", "--data", "-", "visits.tests.import"], stdin: bigData).out.utf8)) as? [String: Any])?["data"] as? [String: Any])
        #expect(diff["matched"] as? Int == 2)
        #expect((diff["residents"] as? [String])?.sorted() == ["50-1-101/张大爷", "50-1-101/李阿姨"])
        let unknown = try #require(diff["unknown"] as? [[String: Any]])
        #expect(unknown.map { $0["line"] as? Int } == [4, 6])
        #expect((unknown[1]["reason"] as? String)?.contains("household 50-1-999 is not in the roster") == true)
        let ambiguous = try #require(diff["ambiguous"] as? [[String: Any]])
        #expect(ambiguous.first?["households"] as? [String] == ["50-1-101", "50-1-102"])
        let now = ISO8601DateFormatter().string(from: Date())
        #expect(try c.request("visits.test.record 50-1-102 at=\(now) site=社区广场").final.hasPrefix("200 tested 2 in 50-1-102"))
        #expect(try c.request("visits.test.record 50-1-101/李阿姨 at=\(now)").final.hasPrefix("200 tested 1 in 50-1-101"))
        #expect(try c.request("visits.test.record 赵小明 at=\(now)").final.hasPrefix("409 conflict: 赵小明 lives in 2 households"))
        let untested = try list(["visits.untested", "building=50"])
        #expect(untested.count == 1)
        #expect(untested.first?["household"] as? String == "50-1-101")
        #expect((untested.first?["untested"] as? [String])?.sorted() == ["张大爷", "赵小明"])
        #expect(untested.first?["escort"] as? [String] == ["张大爷"], "elderly-alone residents need an escort")
        #expect(untested.first?["flagged"] as? Int == 1)
        let coverage = try data(["visits.tests.coverage"])
        let b50 = try #require((coverage["by_building"] as? [[String: Any]])?.first { $0["building"] as? String == "50" })
        #expect(b50["residents"] as? Int == 5)
        #expect(b50["tested"] as? Int == 3)
        #expect(b50["percent"] as? Double == 60)
        let household = try data(["roster.household", "50-1-102"])
        let activity = try #require(household["activity"] as? [String: Any])
        #expect((activity["tests"] as? [String: String])?.keys.sorted() == ["赵小明", "钱多多"])
    }

    @Test func aBigDataListOfAWholeCommunityMatchesQuickly() throws {
        var list = "姓名,户号\n"
        for line in CommunityFixture.csv().text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            list += "\(f[3]),\(f[0])-\(f[1])-\(f[2])\n"
        }
        let start = Date()
        let r = try daemon.ctl(["--json", "--data", "-", "visits.tests.import"], stdin: list)
        let elapsed = Date().timeIntervalSince(start)
        let data = try #require((try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])?["data"] as? [String: Any])
        #expect(data["matched"] as? Int == 6900)
        #expect(elapsed < 20, "6,900 rows took \(elapsed) s")
    }

    @Test func visitsCannotBeUndoneAndCampaignNamesAreNotReused() throws {
        let c = try daemon.client()
        #expect(try c.request("visits.campaign.start 复查 deadline=\(Deadline.ahead) buildings=12").final.hasPrefix("200"))
        #expect(try c.request("visits.record 12-1-101 outcome=answered people=2").final.hasPrefix("200"))
        #expect(try c.request("visits.record 12-1-101 outcome=no-answer").final.hasPrefix("409 conflict: 12-1-101 was already visited in 复查"))
        #expect(try c.request("visits.record 12-1-101 outcome=answered people=3").final.hasPrefix("200"), "a later answer corrects people")
        #expect(try c.request("visits.record 12-1-102 outcome=refused").final.hasPrefix("200"))
        #expect(try !list(["visits.worklist", "campaign=复查"]).contains { $0["household"] as? String == "12-1-102" }, "refused is not knocked again")
        #expect(try c.request("visits.campaign.close 复查").final.hasPrefix("200"))
        #expect(try c.request("visits.campaign.start 复查 deadline=\(Deadline.ahead) buildings=12").final.hasPrefix("409 conflict: campaign 复查 already exists"))
        #expect(try c.request("visits.campaign.start 新 deadline=\(Deadline.ahead) buildings=12,99").final.hasPrefix("404 not_found: buildings 99"))
        #expect(try c.request("visits.campaign.start 新 deadline=2020-01-01 buildings=12").final.hasPrefix("422 invalid_argument: argument 'deadline'"))
        #expect(try c.request("visits.record 12-1-101 outcome=answered needs=:x").final.count > 0)
    }

    @Test func badVisitsAreRefusedClearly() throws {
        #expect(try daemon.client().request("visits.record 99-9-999 outcome=answered").final == "404 not_found: household 99-9-999 does not exist")
        #expect(try daemon.client().request("visits.record 1-1-101 outcome=maybe").final.hasPrefix("422 invalid_argument: argument 'outcome'"))
        #expect(try daemon.client().request("visits.record 10-1-101 outcome=answered").final
            .hasPrefix("409 conflict: no open campaign covers household 10-1-101"))
        #expect(try daemon.client().request("visits.campaign.start 坏 deadline=\(Deadline.ahead) buildings=10").final.hasPrefix("200"))
        #expect(try daemon.client().request("visits.record 10-1-101 outcome=answered needs=cake").final
            .hasPrefix("422 invalid_argument: argument 'needs': unknown category 'cake'"))
        #expect(try daemon.client().request("visits.record 10-1-101 outcome=no-answer people=3").final
            .hasPrefix("422 invalid_argument: people and needs need outcome=answered"))
        #expect(try daemon.client().request("visits.campaign.start 坏 deadline=\(Deadline.ahead)").final.hasPrefix("409 conflict"))
        #expect(try daemon.client().request("visits.assign building=77 visitor=x").final.hasPrefix("404 not_found"))
    }

    @Test func everyVisitsCommandAnswersInJSONAndSurvivesARestart() throws {
        let c = try daemon.client()
        _ = try c.requestJSON("hello format=json")
        for call in ["visits.campaign.start 全部 deadline=\(Deadline.ahead) buildings=11", "visits.campaign.list",
                     "visits.assign building=11 visitor=赵", "visits.worklist building=11", "visits.record 11-1-101 outcome=no-answer",
                     "visits.record 11-1-102 outcome=answered people=4 needs=escort", "visits.revisits", "visits.needs status=all",
                     "visits.coverage by=building", "visits.report",
                     "visits.test.record 11-1-102 at=\(ISO8601DateFormatter().string(from: Date())) site=广场",
                     "visits.untested building=11", "visits.tests.coverage"] {
            let reply = try c.requestJSON(call)
            #expect(reply["ok"] as? Bool == true, "\(call): \(reply)")
        }
        let before = try data(["visits.coverage"])
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        let again = try DaemonProcess(config: "[daemon]\nstate_dir = \"\(daemon.dir.file("state"))\"\n")
        defer { again.stop() }
        let r = try again.ctl(["--json", "visits.coverage"])
        let after = try #require((try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])?["data"] as? [String: Any])
        #expect(after["households_visited"] as? Int == before["households_visited"] as? Int)
        #expect(after["residents_counted"] as? Int == 4)
        let revisits = try again.ctl(["visits.revisits"])
        #expect(revisits.out.contains("11-1-101"))
        let needs = try again.ctl(["visits.needs", "household=11-1-102"])
        #expect(needs.out.contains("escort"), "needs survive a restart")
        let untested = try again.ctl(["--json", "visits.untested", "building=11"])
        #expect(!untested.out.contains("\"11-1-102\""), "tests survive a restart")
        #expect(try again.ctl(["visits.campaign.list"]).out.contains("全部"))
    }
}
