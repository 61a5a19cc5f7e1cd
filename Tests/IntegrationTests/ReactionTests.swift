import Foundation
import Testing

/// Committed events as an outside tool and the plugins see them: `subscribe … from=SEQ`
/// replays them from the journal without gap or duplicate, and a reaction survives a kill -9
/// between the source's commit and its own.
@Suite("Events from the journal", .serialized)
struct ReactionTests {
    static let isRoot = getuid() == 0
    static let hasStrace = FileManager.default.isExecutableFile(atPath: "/usr/bin/strace")

    func daemon(_ dir: TempDirectory, state: String, extra: String = "", strace: [String] = []) throws -> DaemonProcess {
        let config = "[daemon]\nstate_dir = \"\(state)\"\n\(extra)\n" + DaemonProcess.probeConfig
        if strace.isEmpty { return try DaemonProcess(config: config) }
        return try DaemonProcess(config: config, launcher: ["/usr/bin/strace", "-f", "-qq", "-o", "/dev/null"] + strace + ["--"])
    }

    /// A client in JSON mode.
    func json(_ d: DaemonProcess) throws -> LineClient {
        let c = try d.client()
        _ = try c.requestJSON("hello format=json")
        return c
    }

    /// The `seq` of a `probe.publish` reply (`c` in JSON mode).
    func publish(_ c: LineClient, _ name: String) throws -> Int {
        let reply = try c.requestJSON("probe.publish \(name) text=第\(name)")
        return try #require((reply["data"] as? [String: Any])?["seq"] as? Int, "\(reply)")
    }

    /// Event lines (`600 NAME SEQ DATA`) as (name, seq), reading until `count` have come.
    func events(_ c: LineClient, count: Int) throws -> [(String, Int)] {
        var out: [(String, Int)] = []
        for line in c.events { out.append(Self.parse(line)) }
        while out.count < count, let line = try c.readLine(timeout: 10) { out.append(Self.parse(line)) }
        return out
    }

    static func parse(_ line: String) -> (String, Int) {
        let parts = line.split(separator: " ", maxSplits: 3)
        return parts.count >= 3 && parts[0] == "600" ? (String(parts[1]), Int(parts[2]) ?? -1) : (line, -1)
    }

    @Test func subscribeFromReplaysCommittedEventsAcrossARestartThenGoesLive() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let state = dir.file("state")
        var d = try daemon(dir, state: state)
        var seqs: [Int] = []
        do {
            let c = try json(d)
            for i in 1...5 { seqs.append(try publish(c, "e\(i)")) }
            #expect(try d.client().request("probe.set k 值").final.hasPrefix("200"), "a record without events in between")
            seqs.append(try publish(c, "e6"))
        }
        d.stop()
        d = try daemon(dir, state: state)
        defer { d.stop() }

        let sub = try d.client()
        let reply = try sub.request("subscribe probe.* from=\(seqs[1])")
        #expect(reply.final == "200 subscribed to probe.*; replaying \(seqs[1])…\(seqs[5]) from the journal")
        let publisher = try json(d)
        let live = try publish(publisher, "e7")
        // probe.set's record also announces probe.changed (every change is an event).
        let got = try events(sub, count: 7).filter { !$0.0.hasSuffix(".changed") }
        #expect(got.map(\.0) == ["probe.e2", "probe.e3", "probe.e4", "probe.e5", "probe.e6", "probe.e7"])
        #expect(got.map(\.1) == Array(seqs[1...]) + [live])
        let seen = sub.events.count
        #expect(try sub.request("ping") == ["200 pong"])
        #expect(sub.events.count == seen, "no event twice: \(sub.events.dropFirst(seen))")

        #expect(try sub.request("subscribe visits.* from=1").final
            .hasPrefix("409 conflict: from= is allowed only on a connection's first subscribe"))
        let ahead = try d.client().request("subscribe * from=\(live + 5)").final
        #expect(ahead.hasPrefix("422 invalid_argument: argument 'from': \(live + 5) is beyond the next sequence number \(live + 1)"))
        #expect(try d.client().request("subscribe * from=0").final.hasPrefix("422 invalid_argument: argument 'from'"))
        // From the next sequence number: nothing to replay, live at once.
        let next = try d.client()
        #expect(try next.request("subscribe probe.* from=\(live + 1)").final == "200 subscribed to probe.*")
        let after = try publish(publisher, "e8")
        #expect(try events(next, count: 1).map(\.1) == [after])
    }

    /// A record may announce several events, all with its `seq` (a visit with two needs:
    /// visits.recorded and two visits.need.opened). A `from=` subscription used to skip live
    /// events by `seq` alone and dropped every event of a record after its first (found by the
    /// district shipper, issue 20).
    @Test func everyEventOfARecordReachesAResumedSubscriptionLiveAndReplayed() throws {
        let d = try FieldUseTests.community()
        defer { d.stop() }
        #expect(try d.ctl(["visits.campaign.start", "第一轮", "deadline=\(Deadline.ahead)"]).status == 0)
        let live = try d.client()
        #expect(try live.request("subscribe visits.* from=1").final.hasPrefix("200 subscribed to visits.*"))
        let r = try d.ctl(["--json", "visits.record", "3-1-101", "outcome=answered", "people=2", "needs=food:大米x1袋;medicine:降压药x2盒"])
        let seq = try #require(((try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])?["data"] as? [String: Any])?["seq"] as? Int)
        // (Each change also announces visits.changed, the host's: left out here.)
        let seen = try events(live, count: 6).filter { $0.1 == seq && $0.0 != "visits.changed" }.map(\.0)
        #expect(seen == ["visits.recorded", "visits.need.opened", "visits.need.opened"], "live: \(seen)")
        let replayed = try d.client()
        #expect(try replayed.request("subscribe visits.* from=\(seq)").final.hasPrefix("200 subscribed to visits.*; replaying"))
        #expect(try events(replayed, count: 4).map(\.0).filter { $0 != "visits.changed" } == ["visits.recorded", "visits.need.opened", "visits.need.opened"])
    }

    @Test func aLongReplayIsWrittenWholeWhileNewEventsArrive() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let d = try daemon(dir, state: dir.file("state"))
        defer { d.stop() }
        let c = try d.client()
        // Pipelined 100 at a time (a client that sends without reading would stall itself).
        for w in 0..<30 {
            for i in 0..<100 { try c.send("probe.publish p\(w * 100 + i)\n") }
            for _ in 0..<100 { #expect(try c.readReply().last?.hasPrefix("200 published") == true) }
        }
        let sub = try d.client()
        #expect(try sub.request("subscribe probe.* from=1").final.hasPrefix("200 subscribed to probe.*; replaying 1…"))
        for w in 0..<5 {
            for i in 0..<100 { try c.send("probe.publish q\(w * 100 + i)\n") }
            for _ in 0..<100 { _ = try c.readReply() }
        }
        let got = try events(sub, count: 3_500)
        #expect(got.count == 3_500)
        let expected = (0..<3_000).map { "probe.p\($0)" } + (0..<500).map { "probe.q\($0)" }
        #expect(got.map(\.0) == expected, "first difference at \(Array(zip(got.map(\.0), expected)).firstIndex { $0 != $1 } ?? -1)")
        #expect(zip(got, got.dropFirst()).allSatisfy { $0.1 < $1.1 }, "in seq order, each once")
    }

    @Test func aReplayFromCompactedSegmentsIsRefusedWithTheOldestKept() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let d = try daemon(dir, state: dir.file("state"), extra: "segment_bytes = 4096")
        defer { d.stop() }
        let publisher = try json(d), c = try d.client()
        for i in 0..<200 { _ = try publish(publisher, "x\(i)") }
        for i in 0..<50 { #expect(try c.request("probe.set k\(i) \(String(repeating: "值", count: 40))").final.hasPrefix("200")) }
        #expect(try c.request("state.snapshot").final.hasPrefix("200 snapshot"))
        let refused = try d.client().request("subscribe * from=1").final
        #expect(refused.hasPrefix("404 not_found: events from seq 1 are no longer in the journal: segments up to "), "\(refused)")
        #expect(refused.contains("subscribe from="))
    }

    /// The households and campaign a need is recorded in (committed before any injection).
    func prepare(_ state: String, _ dir: TempDirectory) throws {
        let d = try daemon(dir, state: state)
        defer { d.stop() }
        let c = try d.client()
        #expect(try c.request("roster.household.add 3-2-501").final.hasPrefix("200"))
        #expect(try c.request("visits.campaign.start 敲门 deadline=\(Deadline.ahead)").final.hasPrefix("200"))
    }

    func requestsByNeed(_ d: DaemonProcess) throws -> [Int: Int] {
        let r = try json(d).requestJSON("supplies.requests status=all")
        var out: [Int: Int] = [:]
        for row in (r["data"] as? [[String: Any]]) ?? [] { if let need = row["need"] as? Int { out[need, default: 0] += 1 } }
        return out
    }

    func openNeeds(_ d: DaemonProcess, category: Set<String>) throws -> [Int] {
        let r = try json(d).requestJSON("visits.needs")
        return ((r["data"] as? [[String: Any]]) ?? []).filter { category.contains($0["category"] as? String ?? "") }
            .compactMap { $0["id"] as? Int }
    }

    /// Kill -9 at the N-th journal write after a visit with two deliverable needs: at some N
    /// the visit is on disk and its requests are not. After the restart each need has exactly
    /// one request (none lost, none doubled).
    @Test(.enabled(if: isRoot && hasStrace, "needs strace"))
    func aKillBetweenTheVisitAndItsRequestsStillOpensExactlyOneEach() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let prepared = dir.file("prepared")
        try prepare(prepared, dir)
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: prepared + "/journal").sorted().last)
        var killedBetween = 0, n = 1
        while n <= 12 {
            let state = dir.file("state-\(n)")
            try FileManager.default.copyItem(atPath: prepared, toPath: state)
            let d = try daemon(dir, state: state, strace: [
                "-P", state + "/journal/" + segment, "-e", "trace=write", "-e", "inject=write:signal=SIGKILL:when=\(n)",
            ])
            let acked = (try? d.client().request("visits.record 3-2-501 outcome=answered people=2 needs=\"food:米面油;medicine:降压药\"",
                                                  timeout: 5).final.hasPrefix("200")) ?? false
            // Let the reaction commit (or the kill land).
            usleep(300_000)
            let killed = d.waitExit(timeout: 0.5) != nil
            d.signal(SIGKILL)
            _ = d.waitExit()
            d.stop()
            let restarted = try daemon(dir, state: state)
            defer { restarted.stop() }
            let needs = try openNeeds(restarted, category: ["food", "medicine"])
            if acked { #expect(needs.count == 2, "an acknowledged visit lost its needs (kill at write \(n))") }
            var byNeed: [Int: Int] = [:]
            for _ in 0..<200 {
                byNeed = try requestsByNeed(restarted)
                if byNeed.count == needs.count { break }
                usleep(20_000)
            }
            usleep(100_000)
            byNeed = try requestsByNeed(restarted)
            #expect(Set(byNeed.keys) == Set(needs), "kill at write \(n): needs \(needs), requests \(byNeed)")
            #expect(byNeed.values.allSatisfy { $0 == 1 }, "kill at write \(n): a need has two requests: \(byNeed)")
            // The killed daemon had the visit on disk but not both requests: the case under test.
            if killed, needs.count == 2 { killedBetween += 1 }
            if !killed { break }
            n += 1
        }
        #expect(killedBetween >= 1, "no kill fell between the visit's commit and its requests'")
        #expect(n > 1 && n <= 12, "some writes were killed and a run survived (n = \(n))")
    }
}
