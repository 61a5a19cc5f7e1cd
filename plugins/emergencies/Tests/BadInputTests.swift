@testable import EmergenciesPlugin
import Foundation
import PluginAPI
import PluginTesting
import Testing

/// Every bad input: a specific 4xx naming what was wrong, and nothing recorded.
@Suite struct BadInputTests {
    @Test func eachBadRequestIsASpecificRefusalAndRecordsNothing() async throws {
        let h = try await Community.harness()
        defer { h.remove() }
        try await h.ok("emergencies.open 3-2-501 kind=labour", as: .operator)
        try await h.ok("emergencies.open 3-1-101 kind=fall", as: .operator)
        try await h.ok("emergencies.ack 2 by=刘敏", as: .operator)
        try await h.ok("emergencies.step 2 first-aid", as: .operator)
        try await h.ok("emergencies.close 2 outcome=treated-on-site force=yes", as: .operator)
        let cases: [(line: String, name: String, mentions: String)] = [
            // Intake.
            ("emergencies.open 9-9-999 kind=labour", "not_found", "household 9-9-999 is not in the roster; give address=TEXT"),
            ("emergencies.open 3-2-501 kind=birth", "invalid_argument", "unknown kind 'birth'; kinds are labour, chest-pain, fall, fire, mental, other"),
            ("emergencies.open 3-2-501", "missing_argument", "'kind'"),
            ("emergencies.open kind=labour", "missing_argument", "'household'"),
            ("emergencies.open 3-2-501 kind=labour phone=1234", "invalid_argument", "argument 'phone': '1234' is not a phone number"),
            ("emergencies.open 3-2-501 kind=labour phone=12345678901", "invalid_argument", "argument 'phone'"),
            ("emergencies.open 3-2-501 kind=labour at=2022-01-12T09:00", "invalid_argument", "is in the future"),
            ("emergencies.open 3-2-501 kind=labour at=昨天", "invalid_argument", "'at'"),
            // Incidents.
            ("emergencies.step 42 call-120", "not_found", "incident 42 does not exist (incidents are 1 to 2)"),
            ("emergencies.step 0 call-120", "invalid_argument", "'id'"),
            ("emergencies.step abc call-120", "invalid_argument", "'id'"),
            ("emergencies.step 1 gate", "invalid_argument",
             "incident 1 (labour) has no step 'gate'; its steps are call-120, open-gate, escort, notify-family"),
            ("emergencies.step 1 call-120 at=2022-01-12T05:00", "invalid_argument", "is in the future"),
            ("emergencies.step 1 call-120 at=2022-01-12T03:00", "invalid_argument", "before the call of incident 1"),
            ("emergencies.step 2 call-120", "conflict", "incident 2 was closed at"),
            ("emergencies.ack 1", "missing_argument", "'by'"),
            ("emergencies.ack 2 by=刘敏", "conflict", "incident 2 was closed at"),
            ("emergencies.ack 42 by=刘敏", "not_found", "incident 42 does not exist"),
            ("emergencies.note 1", "missing_argument", "'text'"),
            ("emergencies.note 1 text=\"  \"", "invalid_argument", "the note is empty"),
            ("emergencies.note 42 text=到了", "not_found", "incident 42"),
            ("emergencies.page 2", "conflict", "incident 2 was closed at"),
            ("emergencies.close 1 outcome=transported", "conflict", "incident 1 has steps not done: call-120, open-gate, escort, notify-family"),
            ("emergencies.close 1 outcome=died", "invalid_argument", "'outcome'"),
            ("emergencies.close 1", "missing_argument", "'outcome'"),
            ("emergencies.close 1 outcome=transported force=maybe", "invalid_argument", "'force'"),
            ("emergencies.close 2 outcome=transported", "conflict", "incident 2 was closed at 2022-01-12 04:00 +08:00 by uid 1000 (treated-on-site)"),
            ("emergencies.show 42", "not_found", "incident 42 does not exist"),
            ("emergencies.list closed", "invalid_argument", "'which'"),
            ("emergencies.list date=2022-1-9", "invalid_argument", "'date'"),
            ("emergencies.report date=明天", "invalid_argument", "'date'"),
            // Gates and shifts.
            ("emergencies.gate.add 东门 buildings=3", "conflict", "gate 东门 already exists"),
            ("emergencies.gate.add 西门 buildings=99", "not_found", "building 99 has no households in the roster"),
            ("emergencies.gate.add 西门 buildings=\",\"", "invalid_argument", "name at least one building"),
            ("emergencies.gate.holder 西门 name=吴军 phone=13900000006 from=2022-01-12T08:00 to=2022-01-12T20:00", "not_found",
             "gate 西门 does not exist; gates are 东门, 北侧应急门"),
            ("emergencies.gate.holder 东门 name=吴军 phone=13900000006 from=2022-01-12T08:00 to=2022-01-12T07:00", "invalid_argument",
             "argument 'to': 2022-01-12 07:00 +08:00 is not after from=2022-01-12 08:00 +08:00"),
            ("emergencies.gate.holder 东门 name=吴军 phone=13900000006 from=2022-01-12T07:00 to=2022-01-12T20:00", "conflict",
             "东门 already has 赵建国 on duty"),
            ("emergencies.gate.holder 东门 name=吴军 phone=电话 from=2022-01-12T08:00 to=2022-01-12T20:00", "invalid_argument", "argument 'phone'"),
            ("emergencies.gate.holder 东门 name=吴军 phone=13900000006 from=8点 to=2022-01-12T20:00", "invalid_argument", "'from'"),
            ("emergencies.gate.holder 东门 name=吴军 phone=13900000006 from=2022-01-12T08:00 to=2022-01-20T08:00", "invalid_argument",
             "at most 7 days"),
            ("emergencies.oncall.set role=boss name=吴军 phone=13900000006 from=2022-01-12T08:00 to=2022-01-12T20:00", "invalid_argument",
             "unknown role 'boss'; roles are cadre, team-leader, staff, volunteer, doctor"),
            ("emergencies.oncall.set role=cadre name=吴军 phone=13900000006 from=2022-01-12T07:00 to=2022-01-12T20:00", "conflict",
             "cadre already has 刘敏 on duty"),
            ("emergencies.oncall role=boss", "invalid_argument", "unknown role 'boss'"),
            ("emergencies.shift.remove 99", "not_found", "shift 99 does not exist"),
            // Plans.
            ("emergencies.plan 9-9-999", "not_found", "household 9-9-999 does not exist"),
            ("emergencies.plan 4-1-202", "not_found", "household 4-1-202 has no plan"),
            ("emergencies.plan.set 4-1-202 note=无", "not_found", "household 4-1-202 has no plan"),
            ("emergencies.plan.set 3-2-501", "missing_argument", "give hospital=NAME, note=TEXT or both"),
        ]
        let before = try await h.recorded().count
        let published = h.published().count
        for c in cases {
            let error = try await h.error(c.line, as: .operator)
            #expect(error.name == c.name, "\(c.line): \(error)")
            #expect(error.message.contains(c.mentions), "\(c.line): \(error.message)")
            #expect((400..<500).contains(error.code))
        }
        #expect(try await h.recorded().count == before, "a refused request records nothing")
        #expect(h.published().count == published, "and announces nothing")
        await h.stop()
    }

    @Test func badConfigIsRefusedNamingTheKey() async throws {
        let cases: [(String, String)] = [
            ("[plugins.emergencies.kinds.flood]\nzh = \"内涝\"\nen = \"flood\"\nsteps = [\"call-120\", \"pump\"]",
             "kinds.flood.steps: unknown step 'pump'"),
            ("[plugins.emergencies.kinds.flood]\nen = \"flood\"\nsteps = [\"call-120\"]", "kinds.flood.zh: expected a label"),
            ("[plugins.emergencies.kinds.flood]\nzh = \"内涝\"\nen = \"flood\"\nsteps = []", "a checklist needs at least one step"),
            ("[plugins.emergencies.kinds.flood]\nzh = \"内涝\"\nen = \"flood\"\nsteps = [\"call-120\"]\ncolour = \"blue\"",
             "kinds.flood.colour: unknown key 'colour'"),
            ("[plugins.emergencies.steps.pump]\nzh = \"抽水\"\nen = \"pump\"\nowner = \"plumber\"", "owner 'plumber' is not one of"),
            ("[plugins.emergencies.kinds.Flood]\nzh = \"内涝\"\nen = \"flood\"\nsteps = [\"call-120\"]", "is not a kind name"),
            ("[plugins.emergencies]\nescalation = [{ to = \"mayor\", after = \"5m\" }]", "escalation.0.to: expected to ="),
            ("[plugins.emergencies]\nescalation = [{ to = \"oncall:boss\", after = \"5m\" }]", "'boss' is not an on-call role"),
            ("[plugins.emergencies]\nescalation = [{ to = \"duty-phone\", after = \"soon\" }]", "escalation.0.after"),
            ("[plugins.emergencies]\nescalation = [{ to = \"duty-phone\", after = \"2d\" }]", "expected 0s to 24h"),
            ("[plugins.emergencies]\nescalation = [{ to = \"duty-phone\", wait = \"5m\" }]", "escalation.0.wait: unknown key 'wait'"),
            ("[plugins.emergencies]\nduty_phone = \"值班室\"", "duty_phone: \"值班室\" is not a phone number"),
            ("[plugins.emergencies]\nroles = [\"cadre\"]", "the default chain notifies oncall:team-leader, which is not in roles"),
            ("[plugins.emergencies]\ngate_step = \"open-door\"", "gate_step: unknown step 'open-door'"),
            ("[plugins.emergencies]\nplan_due_within_days = 0", "plan_due_within_days"),
            ("[plugins.emergencies]\nhospitals = \"西京医院\"", "unknown key 'hospitals'"),
        ]
        for (config, mentions) in cases {
            do {
                let h = try await PluginHarness([EmergenciesPlugin.self], config: config)
                await h.stop()
                h.remove()
                Issue.record("accepted: \(config)")
            } catch {
                #expect("\(error)".contains(mentions), "\(config): \(error)")
                #expect("\(error)".contains("[plugins.emergencies]"), "\(error)")
            }
        }
    }

    @Test func aKindOfTheConfigIsUsedWithItsOwnSteps() async throws {
        let config = Community.config + """
            escalation = [{ to = "building-leader", after = "2m" }]
            [plugins.emergencies.steps.pump]
            zh = "抽水"
            en = "pump the basement"
            owner = "staff"
            [plugins.emergencies.kinds.flood]
            zh = "内涝"
            en = "flooding"
            steps = ["pump", "evacuate", "notify-family"]
            """
        let h = try await Community.harness(config: config)
        defer { h.remove() }
        let flood = try await h.ok("emergencies.open 3-1-102 kind=flood", as: .operator)
        #expect(flood["checklist"]?.array.map { $0["zh"] } == ["抽水", "疏散楼栋", "通知家属"])
        #expect(flood["escalation"] == [["step": 1, "to": "building-leader", "at": "2022-01-12T04:02:00+08:00"]])
        #expect(try await h.ok("emergencies.report")["by_kind"]?["flood"] == 1)
        await h.stop()
    }
}
