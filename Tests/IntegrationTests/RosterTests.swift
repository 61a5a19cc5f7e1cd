import Foundation
import Testing

/// A realistic community: 23 buildings × 4 units × 25 rooms = 2,300 households, 6,900
/// residents with Chinese names, some tagged.
enum CommunityFixture {
    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭",
                           "马", "罗", "欧阳", "司马", "诸葛"]
    static let given = ["芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
                        "霞", "平", "建国", "桂兰", "志强", "淑珍"]

    static func csv(chineseHeaders: Bool = true) -> (text: String, households: Int, residents: Int) {
        var out = "\u{FEFF}" + (chineseHeaders ? "楼栋,单元,房号,姓名,电话,出生年份,性别,标签,备注\n"
            : "building,unit,room,name,phone,birth_year,sex,tags,note\n")
        var households = 0, residents = 0
        for building in 1...23 {
            for unit in 1...4 {
                for r in 0..<25 {
                    let room = (r / 2 + 1) * 100 + r % 2 + 1
                    households += 1
                    for p in 0..<(households % 5 + 1) {
                        residents += 1
                        let name = surnames[(households + p * 7) % surnames.count] + given[(households * 3 + p) % given.count]
                        let phone = residents % 3 == 0 ? "" : "1\(3 + residents % 7)\(String(format: "%09d", residents * 7919 % 1_000_000_000))"
                        let year = 1930 + residents % 90
                        let sex = residents % 2 == 0 ? "女" : "男"
                        var tags = ""
                        if year < 1945, p == 0, households % 5 == 0 { tags = "elderly-alone;needs-medicine" }
                        if residents % 97 == 0 { tags = "pregnant:2022-03-\(String(format: "%02d", residents % 28 + 1))" }
                        if residents % 41 == 0 { tags = "migrant-tenant" }
                        let note = residents % 50 == 0 ? "\"需要送药, 每周一次\"" : ""
                        out += "\(building),\(unit),\(room),\(name),\(phone),\(year),\(sex),\(tags),\(note)\n"
                    }
                }
            }
        }
        return (out, households, residents)
    }
}

@Suite("Roster", .serialized)
final class RosterTests {
    let daemon: DaemonProcess
    let fixture = CommunityFixture.csv()

    init() throws {
        daemon = try DaemonProcess()
        daemon.dir.write("community.csv", fixture.text)
        let r = try daemon.ctl(["--data", daemon.dir.file("community.csv"), "roster.import", "format=csv"])
        #expect(r.status == 0, "\(r.err)")
    }

    deinit { daemon.stop() }

    func json(_ args: [String]) throws -> [String: Any] {
        let r = try daemon.ctl(["--json"] + args)
        let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        return try #require(object, "\(args): \(r.out) \(r.err)")
    }

    @Test func aWholeCommunityImportsThroughTheSocket() throws {
        #expect(fixture.households == 2300)
        #expect(fixture.residents == 6900)
        let stats = try #require(try json(["roster.stats"])["data"] as? [String: Any])
        #expect(stats["households"] as? Int == 2300)
        #expect(stats["residents"] as? Int == 6900)
        #expect(stats["buildings"] as? Int == 23)
        let tags = try #require(stats["tags"] as? [String: Int])
        #expect((tags["elderly-alone"] ?? 0) > 0 && (tags["pregnant"] ?? 0) > 0 && (tags["migrant-tenant"] ?? 0) > 0)
        let again = try #require(try json(["--data", daemon.dir.file("community.csv"), "roster.import", "format=csv"])["data"] as? [String: Any])
        #expect(again["unchanged"] as? Int == 6900, "re-importing the same file changes nothing")
        #expect(again["added"] as? Int == 0)
        // The roster's own records (emergencies records the plans the import makes, in its own).
        let records = try daemon.ctl(["state.export", "plugin=roster"]).out.split(separator: "\n")
        #expect(records.count == 1 && records.first?.contains("\"seq\":1,") == true, "one journal event for the import, none for the re-import")
    }

    @Test func badRowsOfEveryKind() throws {
        let bad = """
            building,unit,room,name,phone,birth_year,sex,tags,note
            90,1,101,好人,13800001111,1980,M,,
            90,1,,缺房号,,,,,
            90,1-2,102,坏单元,,,,,
            90,1,103,,13800001111,,,,
            90,1,104,电话错,138abc,,,,
            90,1,105,年份错,,18xx,,,
            90,1,106,性别错,,,X,,
            90,1,107,标签错,,,,old,
            90,1,108,预产期错,,,,pregnant:2022-13-01,
            90,1,109,字段少,,,
            90,1,101,好人,13800001111,1980,M,,
            90,1,110,"引号,
            ,,,,,,,,
            """
        daemon.dir.write("bad.csv", bad + "\n")
        let strict = try daemon.ctl(["--data", daemon.dir.file("bad.csv"), "roster.import", "format=csv"])
        #expect(strict.status == 1)
        #expect(strict.err.contains("body line 13: a quoted field is not closed"), "\(strict.err)")
        let multi = try daemon.ctl(["--data", "-", "roster.import", "format=csv"], stdin: "building,unit,room,name,phone\n9-9,x y,,,12\n")
        #expect(multi.err.contains("1 bad rows, nothing imported"), "a row with several bad fields is one bad row: \(multi.err)")
        daemon.dir.write("bad.csv", bad.replacingOccurrences(of: "90,1,110,\"引号,", with: "90,1,110,\"引号,\"\"好\"\"\",,,,,") + "\n")
        let strict2 = try daemon.ctl(["--data", daemon.dir.file("bad.csv"), "roster.import", "format=csv"])
        #expect(strict2.status == 1)
        #expect(strict2.err.contains("10 bad rows, nothing imported (mode=strict)"), "\(strict2.err)")
        #expect(try daemon.client().request("roster.household 90-1-101").final.hasPrefix("404 not_found"), "strict imports nothing")
        let partial = try #require(try json(["--data", daemon.dir.file("bad.csv"), "roster.import", "format=csv", "mode=partial"])["data"] as? [String: Any])
        #expect(partial["added"] as? Int == 2)
        #expect(partial["rejected"] as? Int == 10)
        let problems = try #require(partial["problems"] as? [[String: Any]])
        let described = problems.map { "\($0["line"]!):\($0["column"]!):\($0["field"]!)" }
        #expect(described == ["3:3:room", "4:2:unit", "5:4:name", "6:5:phone", "7:6:birth_year", "8:7:sex", "9:8:tags",
                              "10:8:tags", "11:8:-", "12:4:name"], "\(described)")
        #expect((problems[7]["reason"] as? String)?.contains("2022-13-01") == true)
        #expect((problems[8]["reason"] as? String)?.contains("the row has 7 fields, the header 9") == true)
        #expect((problems[9]["reason"] as? String)?.contains("already on line 2") == true)
        let header = try daemon.ctl(["--data", "-", "roster.import", "format=csv"], stdin: "楼栋,单元,房间,姓名\n1,1,101,x\n")
        #expect(header.err.contains("column 3: unknown column '房间'"))
        let missing = try daemon.ctl(["--data", "-", "roster.import", "format=csv"], stdin: "building,unit,name\n1,1,x\n")
        #expect(missing.err.contains("missing required column 'room' (房号)"))
    }

    @Test func householdsInWalkingOrderAndOneHousehold() throws {
        let list = try #require(try json(["roster.households", "building=2"])["data"] as? [[String: Any]])
        let ids = list.compactMap { $0["household"] as? String }
        #expect(ids.count == 100)
        #expect(Array(ids.prefix(4)) == ["2-1-101", "2-1-102", "2-1-201", "2-1-202"])
        #expect(ids.contains("2-1-1301"))
        #expect(ids.firstIndex(of: "2-1-1301")! < ids.firstIndex(of: "2-2-101")!, "floor 13 of unit 1 before unit 2")
        let one = try #require(try json(["roster.household", "3-2-501"])["data"] as? [String: Any])
        #expect(one["floor"] as? Int == 5)
        #expect((one["residents"] as? [[String: Any]])?.isEmpty == false)
        #expect(try daemon.client().request("roster.household 3-2-9999").final == "404 not_found: household 3-2-9999 does not exist")
        #expect(try daemon.client().request("roster.household 3-2").final.hasPrefix("422 invalid_argument: household '3-2' is not BUILDING-UNIT-ROOM"))
    }

    @Test func residentsLeadersAndExportRoundTrip() throws {
        let c = try daemon.client()
        #expect(try c.request("roster.resident.add 23-4-1301 name=\"欧阳 秀英\" phone=13912345678 tags=elderly-alone note=独居").final
            == "200 added 欧阳 秀英 to 23-4-1301")
        #expect(try c.request("roster.resident.add 23-4-1301 name=\"欧阳 秀英\"").final.hasPrefix("409 conflict"))
        #expect(try c.request("roster.resident.update 23-4-1301 \"欧阳 秀英\" tags=elderly-alone;disabled").final.hasPrefix("200 updated"))
        #expect(try c.request("roster.resident.update 23-4-1301 nobody phone=13900000000").final.hasPrefix("404 not_found"))
        #expect(try c.request("roster.resident.add 23-4-1301 name=x phone=12").final.hasPrefix("422 invalid_argument: argument 'phone'"))
        #expect(try c.request("roster.leader.assign 刘敏 buildings=23,22 phone=13700001234 org=省图书馆 kind=cadre").final.hasPrefix("200 刘敏 leads buildings 22, 23"))
        #expect(try c.request("roster.leader.for 23-4-1301").final == "200 call 刘敏 at 13700001234")
        #expect(try c.request("roster.leader.for 1-1-101").final.hasPrefix("404 not_found: building 1 has no leader"))
        let export = try daemon.ctl(["roster.export", "format=csv"])
        #expect(export.status == 0)
        let lines = export.out.split(separator: "\n")
        #expect(lines.first?.hasSuffix("楼栋,单元,房号,姓名,电话,出生年份,性别,标签,备注") == true, "Chinese headers, for Excel")
        #expect(lines.count == 6902)
        #expect(export.out.contains("23,4,1301,欧阳 秀英,13912345678,,,disabled;elderly-alone,独居"))
        // The export imports into a fresh daemon and exports the same.
        let other = try DaemonProcess()
        defer { other.stop() }
        other.dir.write("export.csv", export.out)
        #expect(try other.ctl(["--data", other.dir.file("export.csv"), "roster.import", "format=csv"]).status == 0)
        #expect(try other.ctl(["roster.export", "format=csv"]).out == export.out)
        #expect(try c.request("roster.resident.remove 23-4-1301 \"欧阳 秀英\"").final == "200 removed 欧阳 秀英 from 23-4-1301")
        // A household with nobody survives the round trip too.
        #expect(try c.request("roster.household.add 24-1-101").final == "200 added 24-1-101")
        let withVacant = try daemon.ctl(["roster.export", "format=csv"]).out
        #expect(withVacant.contains("\n24,1,101,,,,,,\n"))
        let third = try DaemonProcess()
        defer { third.stop() }
        third.dir.write("v.csv", withVacant)
        #expect(try third.ctl(["--data", third.dir.file("v.csv"), "roster.import", "format=csv"]).status == 0)
        #expect(try third.ctl(["roster.export", "format=csv"]).out == withVacant)
    }

    @Test func everyRosterCommandAnswersInJSON() throws {
        let c = try daemon.client()
        _ = try c.requestJSON("hello format=json")
        for call in ["roster.households building=1", "roster.household 1-1-101", "roster.stats", "roster.leaders",
                     "roster.export format=csv", "roster.household.add 99-1-101", "roster.resident.add 99-1-101 name=测试",
                     "roster.resident.update 99-1-101 测试 sex=女", "roster.leader.assign 张三 buildings=99",
                     "roster.leader.for 99-1-101", "roster.resident.remove 99-1-101 测试"] {
            let reply = try c.requestJSON(call)
            #expect(reply["ok"] as? Bool == true, "\(call): \(reply)")
        }
    }

    @Test func theRosterSurvivesARestart() throws {
        let before = try daemon.ctl(["roster.export", "format=csv"]).out
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        let config = "[daemon]\nstate_dir = \"\(daemon.dir.file("state"))\"\n"
        let again = try DaemonProcess(config: config)
        defer { again.stop() }
        #expect(try again.ctl(["roster.export", "format=csv"]).out == before)
    }
}

@Suite("Roster privacy", .serialized)
struct RosterPrivacyTests {
    @Test(.enabled(if: AccessTests.canSwitchUser, "needs root and setpriv"))
    func viewersSeeMaskedPhonesAndNotes() throws {
        let daemon = try DaemonProcess(config: "[daemon]\nsocket_group = \"nogroup\"\n[access.users]\nnobody = \"viewer\"\n")
        defer { daemon.stop() }
        #expect(try daemon.client().request("roster.resident.add 3-2-501 name=王芳 phone=13812345678 note=独居老人").final.hasPrefix("200"))
        #expect(try daemon.client().request("visits.campaign.start 敲门 deadline=\(Deadline.ahead)").final.hasPrefix("200"))
        #expect(try daemon.client().request("visits.record 3-2-501 outcome=answered people=1 needs=\"medicine:王芳 13812345678 降压药\" note=家属电话13900001111").final.hasPrefix("200"))
        #expect(try daemon.client().request("roster.leader.assign 刘敏 buildings=3 phone=13700001234").final.hasPrefix("200"))
        let viewer = try AccessTests().asNobody(daemon, ["--json", "roster.household", "3-2-501"])
        #expect(viewer.out.contains(#""phone":"138****5678""#), "\(viewer.out)")
        #expect(viewer.out.contains(#""note":"***""#))
        #expect(!viewer.out.contains("13812345678") && !viewer.out.contains("独居老人") && !viewer.out.contains("13700001234"))
        #expect(!viewer.out.contains("降压药") && !viewer.out.contains("13900001111"), "need text and visit notes are masked in the activity")
        let needs = try AccessTests().asNobody(daemon, ["--json", "visits.needs"])
        #expect(needs.status == 0 && needs.out.contains(#""text":"***""#) && !needs.out.contains("13812345678"), "\(needs.out)")
        let export = try AccessTests().asNobody(daemon, ["roster.export", "format=csv"])
        #expect(export.status == 1)
        #expect(export.err.contains("403 forbidden: roster.export needs role operator"))
        let admin = try daemon.ctl(["--json", "roster.household", "3-2-501"])
        #expect(admin.out.contains("13812345678") && admin.out.contains("独居老人"))
    }
}
