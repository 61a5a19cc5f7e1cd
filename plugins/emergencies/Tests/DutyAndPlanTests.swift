@testable import EmergenciesPlugin
import Foundation
import PluginAPI
import PluginTesting
import Testing

/// Gates, key holders and on-call shifts; plans that follow the roster's tags; what viewers see.
@Suite struct DutyAndPlanTests {
    @Test func shiftsPerGateAndRoleNowAndNextAndNoOverlap() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        let overlap = try await h.error("emergencies.gate.holder 东门 name=钱进 phone=13900000009 from=2022-01-12T07:00 to=2022-01-12T15:00",
                                        as: .operator)
        #expect(overlap.name == "conflict" && overlap.message.hasPrefix(
            "东门 already has 赵建国 on duty 2022-01-12 00:00 +08:00 – 2022-01-12 08:00 +08:00 (shift 1)"), "\(overlap.message)")
        let day = try await h.ok("emergencies.gate.holder 东门 name=钱进 phone=13900000009 from=2022-01-12T08:00 to=2022-01-12T16:00",
                                 as: .operator)
        #expect(day["shift"] == 4 && day.message == "shift 4: 钱进 holds the key of 东门 2022-01-12 08:00 +08:00 – 2022-01-12 16:00 +08:00")
        let gates = try await h.ok("emergencies.gates", as: .viewer).data.array
        #expect(gates.map { $0["gate"] } == ["东门", "北侧应急门"])
        #expect(gates[0]["holder"] == "赵建国" && gates[0]["phone"] == "139****0002" && gates[0]["next"] == "钱进 2022-01-12 08:00 +08:00")
        #expect(gates[1]["holder"] == "NONE ON DUTY 无人值班")
        #expect(try await h.ok("emergencies.gates").message == "2 gates; !! 1 with no key holder on duty")
        // On call now and next.
        try await h.ok("emergencies.oncall.set role=cadre name=黄丽 phone=13700000008 from=2022-01-12T08:00 to=2022-01-12T20:00", as: .operator)
        let oncall = try await h.ok("emergencies.oncall", as: .operator).data.array
        let cadre = try #require(oncall.first { $0["role"] == "cadre" })
        #expect(cadre["now"] == "刘敏" && cadre["until"] == "2022-01-12T08:00:00+08:00" && cadre["next"] == "黄丽"
            && cadre["next_from"] == "2022-01-12T08:00:00+08:00")
        #expect(oncall.first { $0["role"] == "doctor" }?["now"] == "nobody 无人")
        let later = try await h.ok("emergencies.oncall role=cadre at=2022-01-12T09:00", as: .viewer).data.array
        #expect(later.map { $0["now"] } == ["黄丽"] && later.first?["phone"] == "137****0008")
        let clash = try await h.error("emergencies.oncall.set role=cadre name=何平 phone=13700000010 from=2022-01-12T19:00 to=2022-01-13T08:00",
                                      as: .operator)
        #expect(clash.name == "conflict" && clash.message.contains("cadre already has 黄丽 on duty"))
        // A shift typed wrong is removed, and the slot is free again.
        try await h.ok("emergencies.shift.remove 5", as: .operator)
        #expect(try await h.error("emergencies.shift.remove 5", as: .operator).name == "conflict")
        try await h.ok("emergencies.oncall.set role=cadre name=何平 phone=13700000010 from=2022-01-12T19:00 to=2022-01-13T08:00", as: .operator)
        // A building with no gate of its own is served by a gate for every building.
        try await h.ok("emergencies.gate.add 南门", as: .operator)
        #expect(try await h.ok("emergencies.gates").data.array.last?["buildings"] == "others 其他")
        await h.stop()
    }

    @Test func plansAppearAndGoAsRosterTagsChange() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        let changesBefore = try await h.recorded(plugin: "emergencies").filter { $0.type == "plans.change" }.count
        // From the roster as imported: 3-1-101 (elderly alone, ill), 3-1-102 (disabled), 3-2-501
        // (due in 8 days); 4-1-201 is due in April, outside the 30 days.
        let plans = try await h.ok("emergencies.plans", as: .operator).data.array
        #expect(plans.map { $0["household"] } == ["3-1-101", "3-1-102", "3-2-501"])
        #expect(plans.map { $0["reasons"] } == ["elderly-alone+chronic-illness", "disabled", "pregnant due 2022-01-20"])
        #expect(plans.first?["gate"] == "东门" && plans.first?["holder"] == "赵建国" && plans.first?["leader"] == "李明")
        #expect(plans.first?["hospital"] == "西安市第四医院")
        // A pregnancy recorded at a visit: the plan appears through the durable reaction.
        try await h.ok("roster.resident.update 4-1-202 刘洋 tags=disabled", as: .operator)
        try await h.ok("roster.resident.add 4-1-202 name=刘芳 phone=13900004446 birth_year=1992 tags=pregnant:2022-01-25", as: .operator)
        try await h.settle()
        #expect(try await h.ok("emergencies.plans building=4").data.array.map { $0["reasons"] } == ["disabled; pregnant due 2022-01-25"])
        // 李桂兰 moves in with her daughter: no longer alone, the plan goes.
        try await h.ok("roster.resident.update 3-1-101 李桂兰 tags=chronic-illness", as: .operator)
        try await h.ok("roster.resident.remove 3-1-102 赵强", as: .operator)
        try await h.settle()
        #expect(try await h.ok("emergencies.plans building=3号楼").data.array.map { $0["household"] } == ["3-2-501"])
        let gone = try await h.error("emergencies.plan 3-1-101")
        #expect(gone.name == "not_found" && gone.message.hasPrefix("household 3-1-101 has no plan"))
        // 陈静 comes within 30 days of her due date as the days pass.
        h.clock.advance(by: .days(80))
        let april = try await h.ok("emergencies.plans building=4").data.array.map { $0["household"] }
        #expect(april == ["4-1-201", "4-1-202"])
        let changes = try await h.recorded(plugin: "emergencies").filter { $0.type == "plans.change" }.count - changesBefore
        #expect(changes == 4, "one record per roster change that changed a plan")
        // Plans survive a restart (journal and snapshot), with their notes.
        try await h.ok("emergencies.plan.set 3-2-501 hospital=西京医院 note=\"二胎，上次剖腹产\"", as: .operator)
        try await h.snapshot()
        try await h.restart()
        let plan = try await h.ok("emergencies.plan 3-2-501", as: .operator)
        #expect(plan["hospital"] == "西京医院" && plan["note"] == "二胎，上次剖腹产")
        #expect(plan["residents"]?.array.map { $0["phone"] } == ["13812345679", "13812345678"])
        #expect(plan["holder"] == .null, "08:00 on day 81: nobody holds 东门's key any more")
        let viewer = try await h.ok("emergencies.plan 3-2-501", as: .viewer)
        #expect(viewer["note"] == "***" && viewer["residents"]?.array.map { $0["phone"] } == ["138****5679", "138****5678"])
        #expect(viewer["leader_phone"] == "138****0001")
        let lines = (viewer.lines ?? []).joined(separator: "\n")
        #expect(!lines.contains("13812345678") && !lines.contains("剖腹产") && !lines.contains("王秀英"), "\(lines)")
        await h.stop()
    }

    /// A whole register at once (more than 200 households in one roster change) is read in one
    /// pass; its plans appear all the same.
    @Test func aWholeRegisterImportedAtOnceGetsItsPlans() async throws {
        let h = try await Community.harness(duty: false)
        defer { h.remove() }
        var csv = "楼栋,单元,房号,姓名,标签\n"
        for i in 0..<300 {
            let tags = i == 7 ? "disabled" : i == 211 ? "pregnant:2022-01-30" : ""
            csv += "5,\(i / 100 + 1),\(101 + i % 100),住户\(i),\(tags)\n"
        }
        try await h.ok("roster.import format=csv", body: csv, as: .operator)
        try await h.settle()
        let plans = try await h.ok("emergencies.plans building=5").data.array
        #expect(plans.map { $0["household"] } == ["5-1-108", "5-3-112"])
        #expect(plans.map { $0["reasons"] } == ["disabled", "pregnant due 2022-01-30"])
        await h.stop()
    }

    @Test func anOpenStartsFromThePlan() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        try await h.ok("emergencies.plan.set 3-1-101 note=\"钥匙在隔壁3-1-102\"", as: .operator)
        let open = try await h.ok("emergencies.open 3-1-101 kind=fall caller=邻居", as: .operator)
        #expect(open["plan"] == ["reasons": ["elderly-alone + chronic-illness 独居老人 李桂兰"], "hospital": "西安市第四医院",
                                 "note": "钥匙在隔壁3-1-102"])
        #expect(open.lines?.contains("预案 plan:       elderly-alone + chronic-illness 独居老人 李桂兰; hospital 西安市第四医院; note 钥匙在隔壁3-1-102") == true,
                "\(open.lines ?? [])")
        await h.stop()
    }

    @Test func viewersSeePhonesAndFreeTextMaskedAsTheRosterShowsThem() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        try await h.ok("emergencies.open 3-2-501 kind=labour caller=张伟 phone=13812345679 note=\"羊水破了\"", as: .operator)
        try await h.ok("emergencies.step 1 call-120 note=\"120说15分钟到\"", as: .operator)
        try await h.ok("emergencies.note 1 text=\"产妇有高血压史\"", as: .operator)
        let shown = try await h.ok("emergencies.show 1", as: .viewer)
        let (text, json) = Community.wire(shown)
        for secret in ["13812345679", "13812345678", "13900000002", "13800000001", "羊水破了", "15分钟", "高血压"] {
            #expect(!text.contains(secret) && !json.contains(secret), "\(secret) leaked to a viewer")
        }
        #expect(shown["caller"] == "***" && shown["phone"] == "138****5679" && shown["note"] == "***")
        #expect(shown["residents"]?.array.map { $0["name"] } == ["***", "***"], "names are masked, as the roster masks them")
        #expect(json.contains("139****0002") && json.contains("138****0001"))
        // Operators see it all.
        let full = Community.wire(try await h.ok("emergencies.show 1", as: .operator)).json
        #expect(full.contains("羊水破了") && full.contains("13900000002"))
        // Viewers may read, never write.
        #expect(try await h.error("emergencies.ack 1 by=某人", as: .viewer).name == "forbidden")
        #expect(try await h.error("emergencies.open 3-2-501 kind=labour", as: .viewer).name == "forbidden")
        // Nothing personal on the bus: no resident name, no caller, no note.
        for event in h.published("emergencies.*") {
            let data = event.data.serialized
            for secret in ["王秀英", "张伟", "13812345679", "羊水", "高血压"] { #expect(!data.contains(secret), "\(event.name): \(data)") }
        }
        await h.stop()
    }
}
