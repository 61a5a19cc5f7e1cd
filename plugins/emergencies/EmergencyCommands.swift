public import PluginAPI
import PluginSupport

/// How an incident ended (`emergencies.close … outcome=`).
enum Outcome: String, CaseIterable, Sendable {
    case transported
    case treatedOnSite = "treated-on-site"
    case falseAlarm = "false-alarm"
    case refused
    case referred
    case other

    var zh: String {
        switch self {
        case .transported: "送医"
        case .treatedOnSite: "现场处置"
        case .falseAlarm: "误报"
        case .refused: "拒绝救治"
        case .referred: "转交"
        case .other: "其他"
        }
    }
}

/// The emergencies plugin's arguments, each declared once and shared by the commands that take it.
enum EmergencyArgs {
    // Intake.
    static let household = Arg.positional("household", summary: "household id BUILDING-UNIT-ROOM (3-2-501), or where the caller is")
    static let kind = Arg.required("kind", summary: "labour, chest-pain, fall, fire, mental, other (and kinds of the config)")
    static let caller = Arg.named("caller", summary: "who called (masked for viewers)").sensitive(.personal)
    static let phone = Arg.named("phone", summary: "the caller's phone (masked for viewers)").sensitive(.personal)
    static let note = Arg.named("note", summary: "what was said (masked for viewers)").sensitive(.personal)
    static let address = Arg.named("address", summary: "where, for a household the roster does not know (masked for viewers)").sensitive(.personal)
    static let by = Arg.named("by", summary: "who did it (default: your uid)")
    static let at = Arg.named("at", .pastTime, summary: "when it happened (default: now)")

    // Incidents.
    static let id = Arg.positional("id", .int(min: 1), summary: "incident number")
    static let step = Arg.positional("step", summary: "a step of the incident's checklist (call-120, open-gate, …)")
    static let ackBy = Arg.required("by", summary: "who takes it on")
    static let text = Arg.required("text", summary: "the note (masked for viewers)").sensitive(.personal)
    static let outcome = Arg.required("outcome", .choice(Outcome.self), summary: "how it ended")
    static let hospital = Arg.named("hospital", summary: "where the patient was taken")
    static let force = Arg.named("force", .bool, summary: "yes: close with steps not done (recorded)")
    static let closeNote = Arg.named("note", summary: "a last note (masked for viewers)").sensitive(.personal)
    static let which = Arg.optionalPositional("which", .choice(["open", "today", "all"]), summary: "open (default), today or all")
    /// Checked by the host as a time, read as the text: a local day.
    static let date = Arg.named("date", ValueKind<String>(.time) { $0 }, summary: "YYYY-MM-DD (local)")

    // Gates and shifts.
    static let gateName = Arg.positional("name", summary: "gate name (东门, 北侧应急门)")
    static let buildings = Arg.named("buildings", summary: "buildings it is nearest to, separated by ',' (default: every building without a gate)")
    static let gate = Arg.positional("gate", summary: "gate name")
    static let name = Arg.required("name", summary: "who")
    static let shiftPhone = Arg.required("phone", summary: "their phone (masked for viewers; in the page event)").sensitive(.personal)
    static let from = Arg.required("from", .time, summary: "start of the shift")
    static let to = Arg.required("to", .time, summary: "end of the shift")
    static let role = Arg.required("role", summary: "on-call role ([plugins.emergencies] roles: cadre, team-leader, …)")
    static let onlyRole = Arg.named("role", summary: "only this role")
    static let when = Arg.named("at", .time, summary: "at this time (default: now)")
    static let shift = Arg.positional("shift", .int(min: 1), summary: "shift number (from gate.holder or oncall.set)")

    // Plans.
    static let building = Arg.named("building", summary: "only this building")
    static let planHousehold = Arg.positional("household", summary: "household id")
    static let planHospital = Arg.named("hospital", summary: "the hospital to go to")
    static let planNote = Arg.named("note", summary: "what a responder must know (masked for viewers)").sensitive(.personal)
}

extension EmergenciesPlugin {
    /// Every emergencies command, declared once: spec, help and handler.
    public static let commands: [Command<EmergenciesPlugin>] = [
        Command("emergencies.open", summary: "open an incident: residents, leader, gate and key holder, on-call, checklist at once",
                role: .operator,
                arguments: [EmergencyArgs.household, EmergencyArgs.kind, EmergencyArgs.caller, EmergencyArgs.phone, EmergencyArgs.note,
                            EmergencyArgs.address, EmergencyArgs.by, EmergencyArgs.at],
                mutates: true) { plugin, request in
            try await plugin.open(request)
        },
        Command("emergencies.step", summary: "tick a step of the checklist (out of order is accepted and flagged)", role: .operator,
                arguments: [EmergencyArgs.id, EmergencyArgs.step, EmergencyArgs.by, EmergencyArgs.at, EmergencyArgs.note],
                mutates: true) { plugin, request in
            try await plugin.step(request)
        },
        Command("emergencies.ack", summary: "acknowledge an incident: its escalation stops", role: .operator,
                arguments: [EmergencyArgs.id, EmergencyArgs.ackBy, EmergencyArgs.at], mutates: true) { plugin, request in
            try await plugin.acknowledge(request)
        },
        Command("emergencies.note", summary: "add a note to the timeline, nothing else", role: .operator,
                arguments: [EmergencyArgs.id, EmergencyArgs.text, EmergencyArgs.by, EmergencyArgs.at], mutates: true) { plugin, request in
            try await plugin.note(request)
        },
        Command("emergencies.page", summary: "page the gate's key holder on duty (again)", role: .operator,
                arguments: [EmergencyArgs.id, EmergencyArgs.by], mutates: true) { plugin, request in
            try await plugin.pageAgain(request)
        },
        Command("emergencies.close", summary: "close an incident with its outcome (force=yes with steps not done)", role: .operator,
                arguments: [EmergencyArgs.id, EmergencyArgs.outcome, EmergencyArgs.hospital, EmergencyArgs.force, EmergencyArgs.by,
                            EmergencyArgs.at, EmergencyArgs.closeNote],
                mutates: true) { plugin, request in
            try await plugin.close(request)
        },
        Command("emergencies.show", summary: "an incident and its timeline, with hook outcomes and figures",
                arguments: [EmergencyArgs.id]) { plugin, request in
            try await plugin.show(try request[EmergencyArgs.id], full: request.caller.role >= .operator)
        },
        Command("emergencies.list", summary: "incidents: open (default), today's, or all; date= for one day",
                arguments: [EmergencyArgs.which, EmergencyArgs.date]) { plugin, request in
            try await plugin.list(which: try request[EmergencyArgs.which], date: try request[EmergencyArgs.date])
        },
        Command("emergencies.report", summary: "a day's incidents: counts by kind and outcome, times to ack, ambulance, gate, close",
                arguments: [EmergencyArgs.date]) { plugin, request in
            try await plugin.report(date: try request[EmergencyArgs.date])
        },
        Command("emergencies.gate.add", summary: "add a gate and the buildings it is nearest to", role: .operator,
                arguments: [EmergencyArgs.gateName, EmergencyArgs.buildings], mutates: true) { plugin, request in
            try await plugin.addGate(try request[EmergencyArgs.gateName], buildings: try request[EmergencyArgs.buildings])
        },
        Command("emergencies.gates", summary: "gates, their buildings, the key holder on duty and the next") { plugin, request in
            await plugin.gateList(full: request.caller.role >= .operator)
        },
        Command("emergencies.gate.holder", summary: "a gate's key holder on duty for a shift", role: .operator,
                arguments: [EmergencyArgs.gate, EmergencyArgs.name, EmergencyArgs.shiftPhone, EmergencyArgs.from, EmergencyArgs.to],
                mutates: true) { plugin, request in
            try await plugin.addShift(request, gate: try request[EmergencyArgs.gate], role: nil)
        },
        Command("emergencies.oncall.set", summary: "who is on call for a role during a shift", role: .operator,
                arguments: [EmergencyArgs.role, EmergencyArgs.name, EmergencyArgs.shiftPhone, EmergencyArgs.from, EmergencyArgs.to],
                mutates: true) { plugin, request in
            try await plugin.addShift(request, gate: nil, role: try request[EmergencyArgs.role])
        },
        Command("emergencies.oncall", summary: "who is on call now, and next, per role",
                arguments: [EmergencyArgs.onlyRole, EmergencyArgs.when]) { plugin, request in
            try await plugin.oncall(role: try request[EmergencyArgs.onlyRole], at: try request[EmergencyArgs.when],
                                    full: request.caller.role >= .operator)
        },
        Command("emergencies.shift.remove", summary: "remove a key-holder or on-call shift entered by mistake", role: .operator,
                arguments: [EmergencyArgs.shift], mutates: true) { plugin, request in
            try await plugin.removeShift(try request[EmergencyArgs.shift])
        },
        Command("emergencies.plans", summary: "households prepared for: pregnant near term, elderly alone and ill, disabled",
                arguments: [EmergencyArgs.building]) { plugin, request in
            await plugin.plans(building: try request[EmergencyArgs.building], full: request.caller.role >= .operator)
        },
        Command("emergencies.plan", summary: "one household's plan: who lives there, phones, hospital, gate, key holder, leader",
                arguments: [EmergencyArgs.planHousehold]) { plugin, request in
            try await plugin.plan(try request[EmergencyArgs.planHousehold], full: request.caller.role >= .operator)
        },
        Command("emergencies.plan.set", summary: "a plan's hospital and note", role: .operator,
                arguments: [EmergencyArgs.planHousehold, EmergencyArgs.planHospital, EmergencyArgs.planNote],
                mutates: true) { plugin, request in
            try await plugin.setPlan(try request[EmergencyArgs.planHousehold], hospital: try request[EmergencyArgs.planHospital],
                                     note: try request[EmergencyArgs.planNote])
        },
    ]
}
