@testable import EmergenciesPlugin
import Foundation
import PluginAPI
import PluginTesting
import Testing

/// Escalation when nobody acknowledges, on the host's persistent timers and a manual clock:
/// building leader → on-call cadre → duty phone → team leader, each an `emergencies.escalated`
/// event; a restart continues the chain, and a step missed while the daemon was down fires once
/// at start.
@Suite struct EscalationTests {
    @Test func nobodyAcknowledgesSoTheChainWakesOnePersonAfterAnother() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        try await h.ok("emergencies.open 3-2-501 kind=labour", as: .operator)
        h.clock.advance(by: .minutes(4))
        try await Task.sleep(for: .milliseconds(100))
        #expect(h.escalations.isEmpty, "not yet: the first wait is 5 minutes")
        h.clock.advance(by: .minutes(1))   // 04:05
        #expect(try await Community.eventually { h.escalations.count == 1 })
        #expect(h.escalations[0].data == ["incident": 1, "kind": "labour", "building": "3", "household": "3-2-501", "step": 1, "of": 4,
                                          "to": "building-leader", "phone": "13800000001", "late": false])
        #expect(h.escalations[0].time == Community.fourAM + 300)
        h.clock.advance(by: .minutes(5))   // 04:10
        #expect(try await Community.eventually { h.escalations.count == 2 })
        #expect(h.escalations[1].data["to"] == "oncall:cadre" && h.escalations[1].data["phone"] == "13700000003")
        h.clock.advance(by: .minutes(10))   // 04:20
        #expect(try await Community.eventually { h.escalations.count == 3 })
        #expect(h.escalations[2].data["to"] == "duty-phone" && h.escalations[2].data["phone"] == "029-88886666")
        let ack = try await h.ok("emergencies.ack 1 by=孙志刚", as: .operator)
        #expect(ack["escalations"] == 3 && ack["seconds"] == 1200)
        h.clock.advance(by: .minutes(30))
        try await Task.sleep(for: .milliseconds(200))
        #expect(h.escalations.count == 3, "acknowledged: the team leader is not woken")
        let show = try await h.ok("emergencies.show 1", as: .operator)
        let rows = show["timeline"]?.array.filter { $0["what"] == "escalated" } ?? []
        #expect(rows.map { $0["label"] } == ["escalated 升级 1/4 → building-leader", "escalated 升级 2/4 → oncall:cadre",
                                             "escalated 升级 3/4 → duty-phone"])
        #expect(rows.map { $0["detail"] } == ["李明 13800000001", "刘敏 13700000003", "社区值班电话 029-88886666"])
        #expect(rows.map { $0["by"] } == ["doorstepd", "doorstepd", "doorstepd"])
        #expect(show["escalation"] == [], "nothing more to come")
        #expect(try await h.ok("emergencies.list").data.array.first?["escalated"] == 3)
        // Viewers see the phones masked.
        let seen = try await h.ok("emergencies.show 1", as: .viewer)
        #expect(seen["timeline"]?.array.filter { $0["what"] == "escalated" }.first?["detail"] == "李明 138****0001")
        await h.stop()
    }

    @Test func aStepWithNobodyToWakeIsSkippedAtOnceAndSaysSo() async throws {
        // No on-call shifts, no duty phone: the leader, then straight to… nobody, loudly.
        let h = try await Community.harness(config: "[plugins.emergencies]\n", duty: false)
        defer { h.remove() }
        try await h.ok("emergencies.open 3-2-501 kind=labour", as: .operator)
        h.clock.advance(by: .minutes(5))
        #expect(try await Community.eventually { h.escalations.count == 1 })
        h.clock.advance(by: .minutes(5))
        #expect(try await Community.eventually {
            (try await h.ok("emergencies.show 1")["timeline"]?.array.filter { $0["what"] == "escalated" }.count) == 4
        })
        #expect(h.escalations.map { $0.data["to"] } == ["building-leader"], "only the leader had a phone to send to")
        let rows = try await h.ok("emergencies.show 1")["timeline"]?.array.filter { $0["what"] == "escalated" } ?? []
        #expect(rows.dropFirst().map { $0["detail"] } == ["!! nobody reached: nobody on call for cadre (skipped)",
                                                         "!! nobody reached: no duty_phone in [plugins.emergencies] (skipped)",
                                                         "!! nobody reached: nobody on call for team-leader (skipped)"])
        #expect(rows.map { $0["at"] } == ["2022-01-12T04:05:00+08:00", "2022-01-12T04:10:00+08:00", "2022-01-12T04:10:00+08:00",
                                          "2022-01-12T04:10:00+08:00"], "the step after a skipped one does not wait")
        await h.stop()
    }

    @Test func aRestartContinuesTheChainAndAStepMissedWhileDownFiresOnceAtStart() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        try await h.ok("emergencies.open 3-2-501 kind=labour", as: .operator)
        h.clock.advance(by: .minutes(5))   // 04:05: the leader
        #expect(try await Community.eventually { h.escalations.count == 1 })
        // Down from 04:05 to 04:16: the 04:10 step (on-call cadre) falls due meanwhile.
        await h.stop()
        h.clock.advance(by: .minutes(11))
        try await h.restart()
        #expect(try await Community.eventually { h.escalations.count == 2 })
        #expect(h.escalations[1].data["to"] == "oncall:cadre" && h.escalations[1].data["late"] == true)
        #expect(h.escalations[1].data["step"] == 2 && h.escalations[1].time == Community.fourAM + 16 * 60)
        try await Task.sleep(for: .milliseconds(300))
        #expect(h.escalations.count == 2, "once, and the 04:20 step waits for its time")
        // A second restart fires nothing again.
        try await h.restart()
        try await Task.sleep(for: .milliseconds(300))
        #expect(h.escalations.count == 2)
        h.clock.advance(by: .minutes(4))   // 04:20, on the original schedule
        #expect(try await Community.eventually { h.escalations.count == 3 })
        #expect(h.escalations[2].data["to"] == "duty-phone" && h.escalations[2].data["late"] == false)
        let show = try await h.ok("emergencies.show 1", as: .operator)
        let late = show["timeline"]?.array.filter { $0["what"] == "escalated" }.map { $0["detail"]?.string ?? "" } ?? []
        #expect(late[1] == "刘敏 13700000003; late: due while doorstepd was down, fired at start")
        #expect(try await h.recorded(plugin: "emergencies").filter { $0.type == "incident.escalate" }.count == 3, "each step recorded once")
        // The snapshot keeps where the chain is.
        try await h.snapshot()
        try await h.restart()
        #expect(try await h.ok("emergencies.show 1")["escalation"]?.array.map { $0["to"] } == ["oncall:team-leader"])
        h.clock.advance(by: .minutes(10))
        #expect(try await Community.eventually { h.escalations.count == 4 })
        await h.stop()
    }

    @Test func aCloseStopsTheChainAndTimersOfClosedIncidentsDoNothing() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        try await h.ok("emergencies.open 3-1-101 kind=fall", as: .operator)
        try await h.ok("emergencies.close 1 outcome=false-alarm force=yes", as: .operator)
        h.clock.advance(by: .hours(1))
        try await Task.sleep(for: .milliseconds(200))
        #expect(h.escalations.isEmpty)
        // The close cancelled the chain's timer (a durable record of the host's timers).
        #expect(try await h.recorded(plugin: "timers").map(\.type) == ["set", "done"])
        await h.stop()
    }
}
