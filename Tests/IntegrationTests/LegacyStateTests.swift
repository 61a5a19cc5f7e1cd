import Foundation
import Testing

/// A state directory written by release 0.1.0 must still start and answer the same.
///
/// `Fixtures/state-wave1/` was written through doorstepctl by doorstepd 0.1.0 (snapshots at
/// sequence number 30, then 45 journal records after them, left by a SIGKILL);
/// `Fixtures/state-wave1.expected` holds that release's JSON answers to 27 reads of it.
/// `Fixtures/README.md` says how both were made and how to add a fixture.
@Suite("Legacy state", .serialized)
struct LegacyStateTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// One block of an `.expected` file: a request line and its reply line.
    struct Expectation: CustomStringConvertible {
        let request: String
        let reply: String
        let line: Int
        var description: String { "\(request) (state-wave1.expected line \(line))" }
    }

    /// The blocks of `Fixtures/NAME.expected`: `> REQUEST` then the reply line; `#` lines and
    /// blank lines between blocks are ignored.
    static func expectations(_ name: String) throws -> [Expectation] {
        let text = try String(contentsOfFile: fixtures + "/\(name).expected", encoding: .utf8)
        var result: [Expectation] = []
        var pending: (request: String, line: Int)?
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let p = pending {
                guard !line.isEmpty, !line.hasPrefix("> ") else {
                    throw LineClient.Failure(description: "\(name).expected line \(i + 1): no reply for '\(p.request)'")
                }
                result.append(Expectation(request: p.request, reply: String(line), line: p.line))
                pending = nil
            } else if line.hasPrefix("> ") {
                pending = (String(line.dropFirst(2)), i + 1)
            } else if !line.isEmpty && !line.hasPrefix("#") {
                throw LineClient.Failure(description: "\(name).expected line \(i + 1): expected '> REQUEST', got '\(line)'")
            }
        }
        if let p = pending { throw LineClient.Failure(description: "\(name).expected: no reply for '\(p.request)'") }
        return result
    }

    /// Masks what depends on the clock, as the capture did: a supplies request's `age_hours`.
    /// RFC 3339 times are compared as instants: wave 1 wrote them in UTC (`…Z`), this release in
    /// the community's zone (`…+08:00`).
    static func normalised(_ reply: String) -> String {
        var out = reply.replacingOccurrences(of: #""age_hours":-?[0-9]+"#, with: #""age_hours":"*""#, options: .regularExpression)
        let time = try! NSRegularExpression(pattern: #""([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2}))""#)
        for match in time.matches(in: out, range: NSRange(out.startIndex..., in: out)).reversed() {
            let range = Range(match.range(at: 1), in: out)!
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime]
            if let date = f.date(from: String(out[range])) { out.replaceSubrange(range, with: "@\(Int(date.timeIntervalSince1970))") }
        }
        return out
    }

    /// A fresh copy of `Fixtures/NAME/` (the fixture itself is never opened by a daemon).
    static func copyFixture(_ name: String, into dir: TempDirectory) throws -> String {
        let state = dir.file("state")
        try FileManager.default.copyItem(atPath: fixtures + "/" + name, toPath: state)
        return state
    }

    /// The daemon from the build folder on `state`, with the probe plugin enabled.
    static func start(_ state: String) throws -> DaemonProcess {
        // Wave 1 cut days at UTC+8, hard-coded: the community's zone then.
        try DaemonProcess(config: "[daemon]\nstate_dir = \"\(state)\"\ntimezone = \"Asia/Shanghai\"\n" + DaemonProcess.probeConfig)
    }

    /// A connection switched to JSON: one line per reply.
    static func jsonClient(_ daemon: DaemonProcess) throws -> LineClient {
        let c = try daemon.client()
        let hello = try c.requestJSON("hello format=json client=legacy-state")
        #expect(hello["ok"] as? Bool == true, "\(hello)")
        return c
    }

    /// The reply line to `request`, clock-dependent values masked.
    static func reply(_ c: LineClient, _ request: String) throws -> String {
        try c.send(request + "\n")
        return normalised(try #require(try c.readLine(), "EOF after \(request)"))
    }

    /// The `data` of a JSON reply that must succeed.
    static func data(_ c: LineClient, _ request: String) throws -> Any? {
        let reply = try c.requestJSON(request)
        #expect(reply["ok"] as? Bool == true, "\(request): \(reply)")
        return reply["data"]
    }

    /// Asserts every expectation, or only those whose request is in `only`.
    static func expectSameAnswers(_ daemon: DaemonProcess, _ expected: [Expectation], only: Set<String>? = nil) throws {
        let c = try jsonClient(daemon)
        for e in expected where only?.contains(e.request) ?? true {
            let got = try reply(c, e.request)
            #expect(got == normalised(e.reply), "\(e)")
        }
    }

    @Test func theWave1StateStartsAndAnswersAsTheReleaseThatWroteIt() throws {
        let expected = try Self.expectations("state-wave1")
        #expect(expected.count == 27)
        let dir = TempDirectory()
        defer { dir.remove() }
        let daemon = try Self.start(try Self.copyFixture("state-wave1", into: dir))
        defer { daemon.stop() }
        try Self.expectSameAnswers(daemon, expected)
        // The answers do not depend on which connection asks or how often.
        try Self.expectSameAnswers(daemon, expected, only: ["probe.dump", "visits.needs status=all", "supplies.requests status=all"])
    }

    /// Residents restored from a 0.1.0 snapshot have no recorded time: a purge keeps them
    /// rather than taking them for old (it would erase every name of a community that upgrades).
    @Test func aPurgeKeepsResidentsWhoseTimeTheOldSnapshotDidNotRecord() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let state = try Self.copyFixture("state-wave1", into: dir)
        let daemon = try Self.start(state)
        let c = try Self.jsonClient(daemon)
        let purge = try #require(try Self.data(c, "privacy.purge before=now") as? [String: Any])
        #expect(purge["dry_run"] as? Bool == false, "\(purge)")
        let household = try #require(try Self.data(c, "roster.household 1-1-101") as? [String: Any])
        let names = (household["residents"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names.contains("王建国"), "\(names)")
        // After a restart (from the purge's snapshots), still there.
        daemon.stop()
        let restarted = try Self.start(state)
        defer { restarted.stop() }
        let again = try #require(try Self.data(try Self.jsonClient(restarted), "roster.household 1-1-101") as? [String: Any])
        #expect("\(again)".contains("王建国"))
    }

    /// Reads the writes below do not change; they must still answer as expected after them.
    static let untouched: Set<String> = [
        "roster.household 1-1-101", "roster.household 1-1-201", "roster.leaders", "roster.leader.for 3-2-102",
        "visits.coverage campaign=敲门行动 by=building", "visits.coverage campaign=敲门行动 by=visitor",
        "visits.worklist campaign=敲门行动", "supplies.request 7", "supplies.stock", "supplies.stock.moves", "probe.get greeting",
    ]

    @Test func writesOnTheWave1StateWorkAndSurviveRestarts() throws {
        let expected = try Self.expectations("state-wave1")
        #expect(Self.untouched.isSubset(of: Set(expected.map(\.request))), "every untouched read is in the expected file")
        let dir = TempDirectory()
        defer { dir.remove() }
        let state = try Self.copyFixture("state-wave1", into: dir)
        var daemon = try Self.start(state)
        defer { daemon.stop() }
        var c = try daemon.client()
        // New numbers continue where the old state left off: seq 76, need 10, request 9.
        #expect(try c.request("probe.set 回归 新版本").final == "200 set 回归 at seq 76")
        #expect(try c.request("roster.resident.add 3-2-202 name=新住户 phone=13800138000 birth_year=1990 sex=女").final
            == "200 added 新住户 to 3-2-202")
        let visit = try c.request("visits.record 2-1-202 outcome=answered people=1 at=2022-01-13T09:00+08:00 needs=\"food:面条\"")
        #expect(visit.final == "200 recorded answered at 2-1-202; 1 needs opened", "\(visit)")
        // supplies opens request 9 for need 10 over the event bus, after the visit's reply.
        let j = try Self.jsonClient(daemon)
        var opened: [String: Any]?
        for _ in 0..<250 where opened == nil {
            opened = (try Self.data(j, "supplies.requests status=all") as? [[String: Any]])?.first { $0["need"] as? Int == 10 }
            if opened == nil { usleep(20_000) }
        }
        #expect(opened?["id"] as? Int == 9, "\(String(describing: opened))")
        #expect(opened?["household"] as? String == "2-1-202")
        // Acknowledged after request 9 was recorded, so request 9 is durable too.
        #expect(try c.request("supplies.donation.add donor=回归测试 amount=0.01").final
            == "200 donation of ¥0.01 from 回归测试; balance ¥3230.01")

        /// What the writes above must have left, on any start.
        func expectWrites(_ daemon: DaemonProcess, _ when: String) throws {
            let j = try Self.jsonClient(daemon)
            let value = try #require(try Self.data(j, "probe.get 回归") as? [String: Any], "\(when)")
            #expect(value["value"] as? String == "新版本", "\(when)")
            let household = try #require(try Self.data(j, "roster.household 3-2-202") as? [String: Any], "\(when)")
            let residents = try #require(household["residents"] as? [[String: Any]], "\(when)")
            #expect(residents.compactMap { $0["name"] as? String } == ["新住户"], "\(when)")
            #expect(residents.first?["phone"] as? String == "13800138000", "\(when)")
            let stats = try #require(try Self.data(j, "roster.stats") as? [String: Any], "\(when)")
            #expect(stats["residents"] as? Int == 31 && stats["vacant_households"] as? Int == 1, "\(when): \(stats)")
            #expect((try Self.data(j, "visits.revisits") as? [Any])?.isEmpty == true, "\(when): 2-1-202 was answered")
            let needs = try #require(try Self.data(j, "visits.needs household=2-1-202") as? [[String: Any]], "\(when)")
            #expect(needs.map { $0["id"] as? Int } == [10] && needs.first?["text"] as? String == "面条", "\(when): \(needs)")
            let request = try #require(try Self.data(j, "supplies.request 9") as? [String: Any], "\(when)")
            #expect(request["need"] as? Int == 10 && request["status"] as? String == "open", "\(when): \(request)")
            let ledger = try #require(try Self.data(j, "supplies.ledger") as? [[String: Any]], "\(when)")
            #expect(ledger.count == 5 && ledger.last?["balance_fen"] as? Int == 323_001, "\(when): \(ledger)")
            let campaigns = try #require(try Self.data(j, "visits.campaign.list") as? [[String: Any]], "\(when)")
            #expect(campaigns.last?["campaign"] as? String == "复查" && campaigns.last?["visited"] as? Int == 2, "\(when): \(campaigns)")
            try Self.expectSameAnswers(daemon, expected, only: Self.untouched)
        }
        try expectWrites(daemon, "before a restart")

        // A crash: the old snapshot, the old journal records and the new ones are replayed.
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        daemon.stop()
        daemon = try Self.start(state)
        try expectWrites(daemon, "after SIGKILL and a restart")
        // A clean stop: this release snapshots the whole state, which the next start restores.
        daemon.signal(SIGTERM)
        #expect(daemon.waitExit() == 0, "a clean stop exits 0: \(daemon.stderr)")
        daemon.stop()
        daemon = try Self.start(state)
        try expectWrites(daemon, "after a clean stop and a restart")
        c = try daemon.client()
        #expect(try c.request("probe.del 回归").final == "200 deleted 回归 at seq 81")
    }
}
