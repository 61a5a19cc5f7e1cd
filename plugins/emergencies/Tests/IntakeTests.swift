import DoorstepProtocol
@testable import EmergenciesPlugin
import Foundation
import PluginAPI
import PluginTesting
import Testing

/// Intake, the checklist in its order, the gate's key holder paged, acknowledgement, close,
/// the timeline and its figures, in process with a manual clock.
@Suite struct IntakeTests {
    /// `"  " + cells padded to the widths by display width`, as a CJK-aligned table row.
    func row(_ cells: [String], _ widths: [Int]) -> String {
        "  " + zip(cells, widths).enumerated().map { i, cw in i == cells.count - 1 ? cw.0 : DisplayWidth.pad(cw.0, to: cw.1) }
            .joined(separator: "  ")
    }

    @Test func theCallAt4AMAnswersAtOnceWithEverythingTheResponderNeeds() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        let reply = try await h.ok("emergencies.open 3-2-501 kind=labour caller=张伟 phone=13812345679 note=\"我老婆肚子疼，可能要早产\" by=李明",
                                   as: .operator)
        #expect(reply["id"] == 1 && reply["label"] == "临产" && reply["label_en"] == "labour")
        #expect(reply["household"] == "3-2-501" && reply["building"] == "3" && reply["known"] == true)
        #expect(reply["at"] == "2022-01-12T04:00:00+08:00" && reply["by"] == "李明")
        let residents = reply["residents"]?.array ?? []
        #expect(residents.map { $0["name"] } == ["张伟", "王秀英"])
        let wang = try #require(residents.last)
        #expect(wang["tags"] == ["pregnant"] && wang["due"] == "2022-01-20" && wang["age"] == 28 && wang["phone"] == "13812345678")
        #expect(reply["leader"] == ["name": "李明", "phone": "13800000001"])
        #expect(reply["gate"] == ["name": "东门", "holder": "赵建国", "phone": "13900000002", "until": "2022-01-12T08:00:00+08:00"])
        #expect(reply["oncall"]?.array.map { $0["name"] } == ["刘敏", "孙志刚"])
        let checklist = reply["checklist"]?.array ?? []
        #expect(checklist.map { $0["step"] } == ["call-120", "open-gate", "escort", "notify-family"])
        #expect(checklist.map { $0["who"] } == ["刘敏", "赵建国", "李明", "李明"], "each step's owner, named")
        #expect(checklist.first?["zh"] == "拨打120" && checklist.first?["en"] == "call 120 (ambulance)")
        #expect(reply["plan"]?["reasons"] == ["pregnant 孕妇 王秀英 due 2022-01-20"] && reply["plan"]?["hospital"] == "西安市第四医院")
        #expect(reply["paged"] == .null, "the gate's page waits for the ambulance to be called")
        #expect(reply["escalation"]?.array.map { $0["at"] } == ["2022-01-12T04:05:00+08:00", "2022-01-12T04:10:00+08:00",
                                                              "2022-01-12T04:20:00+08:00", "2022-01-12T04:30:00+08:00"])
        #expect(reply["warnings"] == [])
        #expect(reply.message == "incident 1 opened: 临产 labour at 3-2-501")

        // The text reply: residents and checklist in tables aligned by display width.
        let lines = reply.lines ?? []
        #expect(lines.first == "事件 incident:  1  临产 labour  open", "\(lines)")
        #expect(lines.contains("  name    age  tags                        phone"), "\(lines)")
        #expect(lines.contains("  王秀英  28   pregnant 预产期 2022-01-20  13812345678"), "\(lines)")
        let widths = [1, 13, 12, 23, 20, 4]
        #expect(lines.contains(row(["#", "step", "步骤", "what", "owner", "done"], widths)), "\(lines)")
        #expect(lines.contains(row(["1", "call-120", "拨打120", "call 120 (ambulance)", "cadre 刘敏", "-"], widths)), "\(lines)")
        #expect(lines.contains(row(["3", "escort", "陪同上救护车", "escort to the ambulance", "building-leader 李明", "-"], widths)), "\(lines)")
        #expect(lines.contains("应急门 gate:     东门, key holder 赵建国 13900000002 until 2022-01-12 08:00 +08:00"), "\(lines)")

        // On the bus: ids, kind and building; no name, phone or note.
        let opened = try #require(h.published("emergencies.opened").first)
        #expect(opened.data == ["incident": 1, "kind": "labour", "household": "3-2-501", "building": "3", "known": true])
        #expect(try await h.emergencyTypes().suffix(1) == ["incident.open"])
        await h.stop()
    }

    @Test func theChecklistInOrderPagesTheKeyHolderThenAckAndCloseGiveExactFigures() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        try await h.ok("emergencies.open 3-2-501 kind=labour caller=张伟 by=李明", as: .operator)
        h.clock.advance(by: .minutes(1))
        let called = try await h.ok("emergencies.step 1 call-120 by=李明", as: .operator)
        #expect(called["paged"]?["holder"] == "赵建国" && called["out_of_order"] == false)
        #expect(called.message == "incident 1: call-120 拨打120 done at 04:01; paged 赵建国 at 东门; next: open-gate")
        let page = try #require(h.published("emergencies.paged").first)
        #expect(page.data == ["incident": 1, "kind": "labour", "building": "3", "gate": "东门", "phone": "13900000002", "step": "open-gate"])
        h.clock.advance(by: .minutes(2))
        let ack = try await h.ok("emergencies.ack 1 by=刘敏", as: .operator)
        #expect(ack["seconds"] == 180 && ack["escalations"] == 0)
        #expect(try await h.error("emergencies.ack 1 by=孙志刚", as: .operator).name == "conflict")
        h.clock.advance(by: .minutes(6))
        #expect(try await h.ok("emergencies.step 1 open-gate by=赵建国", as: .operator)["paged"] == .null)
        h.clock.advance(by: .minutes(6))
        try await h.ok("emergencies.note 1 text=救护车已到东门 by=李明", as: .operator)
        h.clock.advance(by: .minutes(5))
        try await h.ok("emergencies.step 1 escort by=李明", as: .operator)
        h.clock.advance(by: .minutes(5))
        let last = try await h.ok("emergencies.step 1 notify-family by=李明", as: .operator)
        #expect(last.message.hasSuffix("checklist complete"))
        h.clock.advance(by: .minutes(25))
        let closed = try await h.ok("emergencies.close 1 outcome=transported hospital=西安市第四医院 by=李明", as: .operator)
        #expect(closed["figures"] == ["ack_s": 180, "ambulance_s": 60, "gate_s": 540, "close_s": 3000])
        #expect(closed["forced"] == false && closed["left_open"] == [])
        try await Task.sleep(for: .milliseconds(100))
        #expect(h.escalations.isEmpty, "acknowledged at 04:03: the 04:05 step never fires")

        let show = try await h.ok("emergencies.show 1")
        #expect(show["status"] == "closed")
        let timeline = show["timeline"]?.array ?? []
        #expect(timeline.map { $0["what"]?.string ?? "" } == ["opened", "step", "paged", "acknowledged", "step", "note", "step", "step", "closed"])
        #expect(timeline.map { $0["at"]?.string?.dropFirst(11).prefix(5) ?? "" }
            == ["04:00", "04:01", "04:01", "04:03", "04:09", "04:15", "04:20", "04:25", "04:50"])
        #expect(timeline.map { $0["by"] } == ["李明", "李明", "李明", "刘敏", "赵建国", "李明", "李明", "李明", "李明"])
        #expect(timeline[2]["detail"] == "东门 赵建国 13900000002" && timeline[2]["seq"]?.int != nil)
        #expect(timeline[5]["detail"] == "救护车已到东门")
        #expect(show["figures"] == ["ack_s": 180, "ambulance_s": 60, "gate_s": 540, "close_s": 3000])
        let text = show.lines ?? []
        #expect(text.contains("用时 figures: to ack 确认 3m 00s, ambulance called 叫车 1m 00s, gate open 开门 9m 00s, close 结案 50m 00s"), "\(text)")
        #expect(text.contains("时间线 timeline (Asia/Shanghai +08:00):"))
        #expect(text.contains { $0.hasPrefix("  3  04:01  paged 呼叫 open-gate") && $0.contains("东门 赵建国 13900000002") }, "\(text)")
        #expect(try await h.emergencyTypes().suffix(8) == ["incident.open", "incident.step", "incident.ack", "incident.step",
                                                          "incident.entries", "incident.step", "incident.step", "incident.close"])
        await h.stop()
    }

    @Test func aStepBeforeOneTheChecklistPutsFirstIsAcceptedAndFlagged() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        try await h.ok("emergencies.open 3-2-501 kind=labour", as: .operator)
        h.clock.advance(by: .minutes(2))
        // The gate opened before the ambulance was called.
        let gate = try await h.ok("emergencies.step 1 open-gate by=赵建国", as: .operator)
        #expect(gate["out_of_order"] == true && gate["skipped"] == ["call-120"])
        #expect(gate.message.contains("!! out of order 顺序不对: call-120 not done yet"), "\(gate.message)")
        h.clock.advance(by: .minutes(1))
        let called = try await h.ok("emergencies.step 1 call-120 by=李明", as: .operator)
        #expect(called["out_of_order"] == false && called["paged"] == .null, "the gate is open: nobody to page")
        #expect(h.published("emergencies.paged").isEmpty)
        #expect(h.published("emergencies.step.done").map { $0.data["out_of_order"] } == [true, false])
        let show = try await h.ok("emergencies.show 1")
        let flagged = show["timeline"]?.array.filter { $0["out_of_order"] == true } ?? []
        #expect(flagged.map { $0["step"] } == ["open-gate"])
        #expect(flagged.first?["detail"] == "!! out of order 顺序不对: before call-120")
        #expect(show["flags"] == ["out-of-order"])
        let listed = try await h.ok("emergencies.list").data.array
        #expect(listed.first?["flags"] == "out-of-order" && listed.first?["steps"] == "2/4")
        #expect(try await h.ok("emergencies.report")["out_of_order"] == 1)
        // Typed in afterwards in another order, but dated in the checklist's order: not flagged.
        try await h.ok("emergencies.open 3-1-101 kind=fall at=2022-01-12T04:00", as: .operator)
        let late = try await h.ok("emergencies.step 2 call-120 at=2022-01-12T04:03", as: .operator)
        #expect(late["out_of_order"] == true && late["skipped"] == ["first-aid"], "first-aid not recorded yet")
        let first = try await h.ok("emergencies.step 2 first-aid at=2022-01-12T04:01 note=先做了心肺复苏", as: .operator)
        #expect(first["out_of_order"] == false)
        let second = try await h.ok("emergencies.show 2")
        #expect(second["flags"] == [] && second["timeline"]?.array.allSatisfy { $0["out_of_order"] == false } == true,
                "by the times they were done, the order was right")
        #expect(try await h.ok("emergencies.report")["out_of_order"] == 1)
        await h.stop()
    }

    @Test func aGateStepFirstInItsChecklistPagesAtOnceAndANoHolderGateIsLoud() async throws {
        let config = Community.config + """
            [plugins.emergencies.kinds.fire]
            zh = "火情"
            en = "fire"
            steps = ["open-gate", "call-119", "evacuate"]
            """
        let h = try await Community.harness(config: config)
        defer { h.remove() }
        let fire = try await h.ok("emergencies.open 3-1-102 kind=fire", as: .operator)
        #expect(fire["paged"]?["holder"] == "赵建国", "open-gate is first: paged with the intake")
        #expect(h.published("emergencies.paged").count == 1)
        // Building 4's gate has nobody on duty: accepted, and loudly so.
        let labour = try await h.ok("emergencies.open 4-1-201 kind=labour", as: .operator)
        #expect(labour["gate"]?["holder"] == .null)
        #expect(labour["warnings"]?.array.first?.string?.hasPrefix("NO KEY HOLDER ON DUTY at 北侧应急门 (没有钥匙人值班)") == true)
        #expect(labour.lines?.first?.hasPrefix("!! NO KEY HOLDER ON DUTY at 北侧应急门") == true, "\(labour.lines ?? [])")
        #expect(labour.message.hasSuffix("!! NO KEY HOLDER ON DUTY at 北侧应急门 没有钥匙人值班"), "\(labour.message)")
        let called = try await h.ok("emergencies.step 2 call-120", as: .operator)
        #expect(called["paged"]?["nobody"] == "no key holder on duty at 北侧应急门")
        #expect(called.message.contains("!! NO KEY HOLDER ON DUTY AT 北侧应急门"), "\(called.message)")
        #expect(h.published("emergencies.paged").count == 1, "nobody to page: no event")
        let page = try await h.error("emergencies.page 2", as: .operator)
        #expect(page.name == "conflict" && page.message.hasPrefix("no key holder on duty at 北侧应急门 for incident 2"), "\(page.message)")
        // Someone takes the key: paged again by hand.
        try await h.ok("emergencies.gate.holder 北侧应急门 name=周涛 phone=13900000005 from=2022-01-12T04:00 to=2022-01-12T12:00", as: .operator)
        let again = try await h.ok("emergencies.page 2 by=李明", as: .operator)
        #expect(again["paged"]?["holder"] == "周涛")
        #expect(h.published("emergencies.paged").last?.data["phone"] == "13900000005")
        await h.stop()
    }

    @Test func aHouseholdTheRosterDoesNotKnowIsAcceptedWithItsAddressAndFlagged() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        let missing = try await h.error("emergencies.open 9-9-999 kind=fall", as: .operator)
        #expect(missing.name == "not_found" && missing.message.contains("give address=TEXT"), "\(missing.message)")
        let visitor = try await h.ok("emergencies.open 3-9-901 kind=fall address=\"3号楼东侧 快递员摔倒\" caller=路人", as: .operator)
        #expect(visitor["known"] == false && visitor["flags"] == ["unknown-household"] && visitor["building"] == "3")
        #expect(visitor["residents"] == [] && visitor["gate"]?["name"] == "东门", "the building's gate all the same")
        #expect(visitor.message == "incident 1 opened: 摔倒 fall at 3-9-901 (not in the roster)")
        #expect(h.published("emergencies.opened").first?.data["known"] == false)
        #expect(try await h.ok("emergencies.report")["unknown_households"] == 1)
        await h.stop()
    }

    @Test func closingRules() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        try await h.ok("emergencies.open 3-1-101 kind=fall caller=李桂兰", as: .operator)
        try await h.ok("emergencies.step 1 first-aid", as: .operator)
        let early = try await h.error("emergencies.close 1 outcome=treated-on-site", as: .operator)
        #expect(early.name == "conflict" && early.message.hasPrefix("incident 1 has steps not done: call-120, open-gate, notify-family"))
        let forced = try await h.ok("emergencies.close 1 outcome=treated-on-site force=yes note=\"血压正常，不需送医\"", as: .operator)
        #expect(forced["forced"] == true && forced["left_open"] == ["call-120", "open-gate", "notify-family"])
        #expect(forced.message.hasSuffix("!! forced with call-120, open-gate, notify-family not done"))
        #expect(h.published("emergencies.closed").first?.data == ["incident": 1, "outcome": "treated-on-site", "forced": true])
        let twice = try await h.error("emergencies.close 1 outcome=transported", as: .operator)
        #expect(twice.name == "conflict" && twice.message.hasPrefix("incident 1 was closed at 2022-01-12 04:00 +08:00 by uid 1000"))
        #expect(try await h.error("emergencies.ack 1 by=刘敏", as: .operator).name == "conflict")
        #expect(try await h.error("emergencies.step 1 call-120", as: .operator).name == "conflict")
        // A note after the close is what follow-ups are (母子平安).
        try await h.ok("emergencies.note 1 text=次日回访，老人情况稳定", as: .operator)
        let show = try await h.ok("emergencies.show 1", as: .operator)
        #expect(show["left_open"] == ["call-120", "open-gate", "notify-family"] && show["flags"] == ["forced"])
        #expect(show["timeline"]?.array.last?["what"] == "note")
        #expect(try await h.ok("emergencies.report")["forced_closes"] == 1)
        await h.stop()
    }

    @Test func listAndReportCountTheDayByKindAndOutcomeWithMedians() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        // Typed in the next morning from the paper log: one the evening before, two at night.
        h.clock.advance(by: .hours(6))   // 10:00
        try await h.ok("emergencies.open 4-1-202 kind=chest-pain at=2022-01-11T22:00", as: .operator)
        try await h.ok("emergencies.open 3-2-501 kind=labour at=2022-01-12T04:00", as: .operator)
        try await h.ok("emergencies.open 3-1-101 kind=fall at=2022-01-12T06:00", as: .operator)
        try await h.ok("emergencies.ack 2 by=刘敏 at=2022-01-12T04:03", as: .operator)
        try await h.ok("emergencies.step 2 call-120 at=2022-01-12T04:01", as: .operator)
        try await h.ok("emergencies.step 2 open-gate at=2022-01-12T04:09", as: .operator)
        try await h.ok("emergencies.close 2 outcome=transported force=yes at=2022-01-12T04:50", as: .operator)
        try await h.ok("emergencies.ack 3 by=李明 at=2022-01-12T06:07", as: .operator)
        try await h.ok("emergencies.close 3 outcome=false-alarm force=yes at=2022-01-12T06:20", as: .operator)
        let before = try await h.error("emergencies.ack 1 by=刘敏 at=2022-01-11T21:00", as: .operator)
        #expect(before.name == "invalid_argument" && before.message.contains("before the call of incident 1"))
        let report = try await h.ok("emergencies.report date=2022-01-12")
        #expect(report["incidents"] == 2 && report["open"] == 0)
        #expect(report["by_kind"]?["labour"] == 1 && report["by_kind"]?["fall"] == 1 && report["by_kind"]?["chest-pain"] == 0)
        #expect(report["by_outcome"]?["transported"] == 1 && report["by_outcome"]?["false-alarm"] == 1)
        #expect(report["figures"]?["ack"] == ["count": 2, "median_seconds": 300, "max_seconds": 420])
        #expect(report["figures"]?["ambulance"] == ["count": 1, "median_seconds": 60, "max_seconds": 60])
        #expect(report["figures"]?["gate"] == ["count": 1, "median_seconds": 540, "max_seconds": 540])
        #expect(report["figures"]?["close"] == ["count": 2, "median_seconds": 2100, "max_seconds": 3000])
        #expect(report["rows"]?.array.map { $0["id"] } == [2, 3])
        #expect(try await h.ok("emergencies.report date=2022-01-11")["incidents"] == 1)
        #expect(try await h.ok("emergencies.list").data.array.map { $0["id"] } == [1], "open ones")
        #expect(try await h.ok("emergencies.list today").data.array.map { $0["id"] } == [2, 3])
        #expect(try await h.ok("emergencies.list date=2022-01-11").data.array.map { $0["id"] } == [1])
        #expect(try await h.ok("emergencies.list all").data.array.count == 3)
        await h.stop()
    }

    /// Every command answers in both formats, as the socket writes them.
    @Test func everyCommandAnswersInTextAndJSON() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        let lines = [
            "emergencies.open 3-2-501 kind=labour caller=张伟 note=肚子疼", "emergencies.step 1 call-120 by=李明",
            "emergencies.ack 1 by=刘敏", "emergencies.note 1 text=救护车已到", "emergencies.page 1",
            "emergencies.step 1 open-gate", "emergencies.close 1 outcome=transported force=yes", "emergencies.show 1",
            "emergencies.list all", "emergencies.report", "emergencies.gate.add 西门", "emergencies.gates",
            "emergencies.gate.holder 西门 name=吴军 phone=13900000006 from=2022-01-12T08:00 to=2022-01-12T20:00",
            "emergencies.oncall.set role=doctor name=郑医生 phone=13700000007 from=2022-01-12T08:00 to=2022-01-12T20:00",
            "emergencies.oncall", "emergencies.shift.remove 4", "emergencies.plans", "emergencies.plan 3-2-501",
            "emergencies.plan.set 3-2-501 hospital=西安市第四医院 note=胎位不正",
        ]
        let names = Set(EmergenciesPlugin.commands.map(\.spec.name))
        #expect(Set(lines.map { String($0.prefix { $0 != " " }) }) == names, "every command is exercised")
        for line in lines {
            let reply = try await h.ok(line, as: .operator)
            let (text, json) = Community.wire(reply)
            #expect(json.hasPrefix("{\"tag\":null,\"ok\":true,\"code\":200,\"data\":") && reply.data != .null, "\(line): \(json)")
            let parsed = try JSON.parse(Array(json.utf8))
            #expect(parsed["data"] == reply.data, "\(line): the JSON line carries the data exactly")
            #expect(text.hasSuffix("200 \(reply.message)\n") && !reply.message.isEmpty, "\(line): \(text)")
            if reply.lines != [] { #expect(text.split(separator: "\n").count > 1, "\(line): data lines in text") }
        }
        await h.stop()
    }
}
