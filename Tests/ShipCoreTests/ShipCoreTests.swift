import DoorstepValues
import ShipCore
import Testing

@Suite("doorstep-ship: the stream, the privacy filter, batches")
struct StreamTests {
    @Test func eventsAndRepliesAreRead() throws {
        let event = try StreamLine.parse(Array(#"{"event":"visits.need.opened","seq":42,"time":"2022-01-10T19:00:00+08:00","data":{"id":3}}"#.utf8))
        #expect(event == .event(StreamEvent(name: "visits.need.opened", seq: 42, time: "2022-01-10T19:00:00+08:00", data: ["id": 3])))
        let refused = try StreamLine.parse(Array(#"{"tag":null,"ok":false,"code":404,"error":"not_found","message":"events from seq 5 are no longer in the journal"}"#.utf8))
        guard case .reply(let reply) = refused else { Issue.record("not a reply"); return }
        #expect(reply.code == 404 && reply.error == "not_found" && !reply.ok)
        #expect(throws: StreamError.self) { try StreamLine.parse(Array("600 probe.announce 17 {}".utf8)) }
        #expect(throws: StreamError.self) { try StreamLine.parse(Array(#"{"event":"x","time":"t"}"#.utf8)) }
    }

    @Test func linesAreSplitAcrossChunks() throws {
        var s = LineSplitter(maxLine: 16)
        #expect(try s.push(Array("ab".utf8)).isEmpty)
        #expect(try s.push(Array("c\r\nde\nf".utf8)) == [Array("abc".utf8), Array("de".utf8)])
        #expect(s.pending == 1)
        #expect(throws: StreamError.self) { try s.push([UInt8](repeating: 0x41, count: 40)) }
    }

    @Test func theFilterKeepsIdsKindsCountsAndTimesOnly() {
        let data: JSON = ["need": 3, "request": 7, "note": "delivered to 王芳 13812345678", "household": "3-2-501",
                          "households": [["id": "5-1-101", "building": "5", "name": "李四"]], "phone": "13900000002",
                          "category": "medicine", "at": "2022-01-10T19:00:00+08:00", "late": true, "people": 3,
                          "id": "13812345678"]
        let (out, withheld) = PrivacyFilter(personal: false).filter(data)
        #expect(out == ["need": 3, "request": 7, "household": "3-2-501", "households": [["id": "5-1-101", "building": "5"]],
                        "category": "medicine", "at": "2022-01-10T19:00:00+08:00", "late": true, "people": 3])
        #expect(withheld == ["note", "households[].name", "phone", "id"])
        let (all, none) = PrivacyFilter(personal: true).filter(data)
        #expect(all == data && none.isEmpty)
    }

    @Test func indexesCountEveryEventOfARecordWhateverThePatterns() throws {
        var n = Numbering(patterns: ["visits.*"], filter: PrivacyFilter(personal: false))
        let e = { (name: String, seq: UInt64) in StreamEvent(name: name, seq: seq, time: "t", data: ["id": 1]) }
        #expect(try n.row(for: e("roster.households.added", 3)) == nil)
        #expect(try n.row(for: e("visits.need.opened", 3))?.index == 1)
        #expect(try n.row(for: e("visits.need.opened", 3))?.index == 2)
        #expect(try n.row(for: e("visits.recorded", 9))?.index == 0)
        #expect(throws: StreamError.self) { try n.row(for: e("visits.recorded", 8)) }
        // A restart at cursor 9 replays record 9 from its first event, with the same indexes.
        #expect(Resume.from(cursor: 9) == 9 && Resume.from(cursor: 0) == 1)
        var again = Numbering(patterns: ["*"], filter: PrivacyFilter(personal: false), after: Resume.numberingAfter(cursor: 9))
        #expect(try again.row(for: e("visits.recorded", 9))?.index == 0)
    }

    @Test func backoffDoublesUpToItsMaximumAndResets() {
        var b = Backoff(initial: .milliseconds(250), maximum: .seconds(1))
        #expect([b.failed(), b.failed(), b.failed(), b.failed()] == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(1)])
        b.succeeded()
        #expect(b.failed() == .milliseconds(250))
    }
}

@Suite("doorstep-ship: database URLs and migrations")
struct DatabaseTests {
    @Test func urlsAreReadAsLibpqReadsThem() throws {
        let tcp = try DatabaseURL.parse("postgres://ship:s%40cret@district.example:6432/district?sslmode=require")
        #expect(tcp.user == "ship" && tcp.password == "s@cret" && tcp.host == "district.example" && tcp.port == 6432)
        #expect(tcp.database == "district" && tcp.tls == .require)
        #expect(tcp.description == "postgres://ship:***@district.example:6432/district?sslmode=require")
        let local = try DatabaseURL.parse("postgresql://postgres@/district?host=/run/postgresql")
        #expect(local.socketPath == "/run/postgresql/.s.PGSQL.5432" && local.tls == .disable && local.password == nil)
        let v6 = try DatabaseURL.parse("postgres://u@[::1]/d")
        #expect(v6.host == "::1" && v6.port == 5432 && v6.tls == .prefer)
        for bad in ["mysql://u@h/d", "postgres://h/d", "postgres://u@h", "postgres://u@h:0/d", "postgres://u@/d",
                    "postgres://u@h/d?sslmode=maybe", "postgres://u@h/d?host=relative", "postgres://u@h/d?x=1"] {
            #expect(throws: DatabaseURL.Problem.self, "\(bad)") { try DatabaseURL.parse(bad) }
        }
    }

    @Test func migrationsApplyInOrderOnceAndRefuseEdits() throws {
        let all = try Migrations.plan([(name: "002_views.sql", text: "B"), (name: "001_schema.sql", text: "A"), (name: "README.md", text: "")])
        #expect(all.map(\.version) == [1, 2] && all[0].name == "schema")
        #expect(try Migrations.pending(all, applied: [:]).map(\.version) == [1, 2])
        #expect(try Migrations.pending(all, applied: [1: all[0].checksum]).map(\.version) == [2])
        #expect(throws: Migrations.Problem.self) { try Migrations.pending(all, applied: [1: "0000000000000000"]) }
        #expect(throws: Migrations.Problem.self) { try Migrations.pending(all, applied: [3: "x"]) }
        #expect(throws: Migrations.Problem.self) { try Migrations.plan([(name: "1-schema.sql", text: "")]) }
        #expect(throws: Migrations.Problem.self) { try Migrations.plan([(name: "001_a.sql", text: ""), (name: "1_b.sql", text: "")]) }
    }
}
