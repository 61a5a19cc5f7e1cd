import PluginAPI
import PluginSupport
import RosterInterface

/// What the responder needs at once: the household's residents, its leader, the gate and its key
/// holder, who is on call, its plan. Read when an incident is opened or shown.
struct Briefing: Sendable {
    struct Resident: Sendable {
        var name: String
        var age: Int?
        var tags: [String]
        var due: String?
        var phone: String?
    }

    var residents: [Resident] = []
    var leader: LeaderContact?
    var gate: Gate?
    var holder: Shift?
    var oncall: [(role: String, shift: Shift)] = []
    var plan: Plan?
    var rosterRunning = true
}

extension EmergenciesPlugin {
    // MARK: intake

    func open(_ request: Request) async throws -> Reply {
        let text = Text.household(try request[EmergencyArgs.household])
        guard !text.isEmpty, text.count <= 64 else {
            throw ControlError.invalidArgument("argument 'household': expected a household id such as 3-2-501 (at most 64 characters)")
        }
        let kindName = try request[EmergencyArgs.kind]
        guard let kind = kind(kindName) else {
            throw ControlError.invalidArgument("argument 'kind': unknown kind '\(ValueParser.shown(kindName))'; kinds are "
                + settings.kindOrder.joined(separator: ", "))
        }
        var callerPhone: String?
        if let p = try request[EmergencyArgs.phone] {
            guard let v = Phone.normalised(p) else {
                throw ControlError.invalidArgument("argument 'phone': '\(ValueParser.shown(p))' is not a phone number (5 to 15 digits)")
            }
            callerPhone = v
        }
        let address = try request[EmergencyArgs.address].map(\.trimmingSpaces).flatMap { $0.isEmpty ? nil : $0 }
        let roster = self.roster
        let summary = await roster?.household(text)
        if roster != nil, summary == nil, address == nil {
            throw ControlError.notFound("household \(ValueParser.shown(text)) is not in the roster; give address=TEXT to open it anyway "
                + "(a visitor, say)")
        }
        let household = summary?.id ?? text
        let building = summary?.building ?? Text.buildingOf(text)
        let now = now()
        let at = try request[EmergencyArgs.at] ?? now
        let actor = Actor(name: try request[EmergencyArgs.by], uid: request.caller.uid)
        let briefing = await briefing(household: household, building: building, summary: summary, at: now)

        // After the last await: the id read here is the one recorded.
        let id = state.nextIncident
        var incident = Incident(id: id, kind: kind.name, household: household, building: building, known: summary != nil,
                                address: address, caller: try request[EmergencyArgs.caller], phone: callerPhone,
                                note: try request[EmergencyArgs.note], at: at, opened: now, by: actor, checklist: kind.steps,
                                hadPlan: briefing.plan != nil)
        incident.nextDue = settings.escalation.first.map { now + $0.after }
        incident.timeline = [Entry(what: .opened, at: at, by: actor, text: incident.note)]
        var announced = [Announcement("emergencies.opened", [
            "incident": .number(id), "kind": .string(kind.name), "household": .string(household),
            "building": .optional(building), "known": .bool(summary != nil),
        ])]
        var page: Entry?
        if gateIsDue(incident) {
            let (entry, event) = pageEntry(incident, by: actor, at: now)
            incident.timeline.append(entry)
            page = entry
            if let event { announced.append(event) }
        }
        let seq = try await record(IncidentOpened(incident: incident), announcing: announced)
        context.logger.notice("incident opened", metadata: ["incident": "\(id)", "kind": "\(kind.name)",
                                                              "building": "\(building ?? "-")", "known": "\(summary != nil)"])
        if let first = incident.nextDue, state.incidents[id]?.ackedAt == nil {
            do { try await context.timers.persist(Self.timerName(id, step: 1), at: first) } catch {
                // The incident is recorded: run() sets the timer again at the next start.
                context.logger.error("cannot set an incident's escalation timer", metadata: ["incident": "\(id)", "error": "\(error)"])
            }
        }
        let opened = state.incidents[id] ?? incident
        var (data, block) = intake(opened, briefing, full: true)
        data = .object([("seq", .number(Int(seq)))] + (data.objectFields ?? []))
        let label = "\(kind.zh) \(kind.en)"
        // Loud when the gate has nobody on duty, whether or not its page is due yet.
        let loud = briefing.gate.map { g in briefing.holder == nil ? " !! NO KEY HOLDER ON DUTY at \(g.name) 没有钥匙人值班" : "" }
            ?? (page?.reached?.nobody.map { " !! \($0)" } ?? "")
        return Reply(data: data, lines: block.lines,
                     message: "incident \(id) opened: \(label) at \(household)" + (summary == nil ? " (not in the roster)" : "") + loud)
    }

    /// Residents, leader, gate and key holder on duty, who is on call, and the plan.
    func briefing(household: String, building: String?, summary: HouseholdSummary?, at t: Int64) async -> Briefing {
        var b = Briefing()
        b.rosterRunning = roster != nil
        if let summary {
            let phones = await contacts?.phones(household: household) ?? [:]
            b.residents = summary.residents.map {
                Briefing.Resident(name: $0.name, age: Text.age(birthYear: $0.birthYear, at: t), tags: $0.tags, due: $0.due,
                                  phone: phones[$0.name])
            }
        }
        if let building { b.leader = await contacts?.leader(ofBuilding: building) }
        // After the awaits: read the duty state.
        b.gate = state.gates(for: building).first
        b.holder = b.gate.flatMap { state.onDuty(gate: $0.name, at: t) }
        b.oncall = settings.roles.compactMap { role in state.onDuty(role: role, at: t).map { (role, $0) } }
        b.plan = activePlans(at: t)[household]
        // Plans not built yet (nothing has needed them): this household's, from the roster now.
        if state.scannedAt == nil, let summary {
            let reasons = Self.reasons(summary).filter { holds($0, at: t) }
            if !reasons.isEmpty { b.plan = Plan(household: household, building: summary.building, reasons: reasons, since: t) }
        }
        return b
    }

    /// The reply of `open` (and the head of `show`): data and text lines.
    func intake(_ incident: Incident, _ b: Briefing, full: Bool) -> (JSON, TextBlock) {
        let kind = label(kind: incident.kind)
        var warnings: [String] = []
        if let gate = b.gate {
            if b.holder == nil { warnings.append("NO KEY HOLDER ON DUTY at \(gate.name) (没有钥匙人值班): emergencies.gate.holder \(gate.name) …") }
        } else {
            warnings.append("no gate for building \(incident.building ?? "?") (没有应急门): emergencies.gate.add NAME buildings=…")
        }
        if !incident.known { warnings.append("not in the roster (住户不在名册): check the address") }
        if !b.rosterRunning { warnings.append("the roster is not running: residents and leader unknown") }
        if incident.building != nil, b.leader == nil, b.rosterRunning { warnings.append("building \(incident.building!) has no leader (无楼栋长)") }
        for step in settings.escalation {
            if case .oncall(let role) = step.to, !b.oncall.contains(where: { $0.role == role }),
                !warnings.contains("nobody on call for \(role) (无人值班)")
            {
                warnings.append("nobody on call for \(role) (无人值班)")
            }
        }
        // Who holds each owner role now: the leader, the key holder on duty, the on-call person.
        var holders: [String: String] = [:]
        holders["building-leader"] = b.leader?.name
        holders["key-holder"] = b.holder?.name
        for o in b.oncall { holders[o.role] = o.shift.name }
        let who: [String: String] = holders
        let checklist: [JSON] = incident.checklist.enumerated().map { i, name in
            let s = label(step: name)
            return ["n": .number(i + 1), "step": .string(name), "zh": .string(s.zh), "en": .string(s.en), "owner": .optional(s.owner),
                    "who": .optional(s.owner.flatMap { who[$0] }), "done": incident.done[name].map { .string(ValueParser.iso8601($0)) } ?? .null]
        }
        let residents: [JSON] = b.residents.map { r in
            ["name": .string(r.name), "age": r.age.map { .number($0) } ?? .null, "tags": .array(r.tags.map(JSON.string)),
             "due": .optional(r.due), "phone": .optional(Phone.shown(r.phone, full: full))]
        }
        let gate: JSON = b.gate.map { g in
            ["name": .string(g.name), "holder": .optional(b.holder?.name), "phone": .optional(Phone.shown(b.holder?.phone, full: full)),
             "until": b.holder.map { .string(ValueParser.iso8601($0.to)) } ?? .null]
        } ?? .null
        let oncall: [JSON] = b.oncall.map { o in
            ["role": .string(o.role), "name": .string(o.shift.name), "phone": .string(Phone.shown(o.shift.phone, full: full)!),
             "until": .string(ValueParser.iso8601(o.shift.to))]
        }
        let note = state.planNotes[incident.household]
        let plan: JSON = b.plan.map { p in
            ["reasons": .array(p.reasons.map { .string(describe($0)) }), "hospital": .optional(note?.hospital ?? settings.hospital),
             "note": .optional(Text.shown(note?.note, full: full))]
        } ?? .null
        let paged = incident.timeline.last { $0.what == .paged }?.reached
        let schedule = escalationPlan(incident)
        var flags: [String] = []
        if !incident.known { flags.append("unknown-household") }
        if incident.outOfOrder { flags.append("out-of-order") }
        if incident.forced == true { flags.append("forced") }
        if incident.escalated > 0 { flags.append("escalated") }
        let data: JSON = [
            "id": .number(incident.id), "kind": .string(incident.kind), "label": .string(kind.zh), "label_en": .string(kind.en),
            "household": .string(incident.household), "building": .optional(incident.building), "known": .bool(incident.known),
            "address": .optional(Text.shown(incident.address, full: full)), "flags": .array(flags.map(JSON.string)),
            "at": .string(ValueParser.iso8601(incident.at)), "opened": .string(ValueParser.iso8601(incident.opened)),
            "by": .string(incident.by.shown), "caller": .optional(Text.shown(incident.caller, full: full)),
            "phone": .optional(Phone.shown(incident.phone, full: full)), "note": .optional(Text.shown(incident.note, full: full)),
            "residents": .array(residents),
            "leader": b.leader.map { ["name": .string($0.name), "phone": .optional(Phone.shown($0.phone, full: full))] } ?? .null,
            "gate": gate, "oncall": .array(oncall), "checklist": .array(checklist), "plan": plan,
            "paged": paged.map { r in
                ["gate": .optional(r.gate), "holder": .optional(r.name), "phone": .optional(Phone.shown(r.phone, full: full)),
                 "nobody": .optional(r.nobody)]
            } ?? .null,
            "escalation": .array(schedule.map { ["step": .number($0.level), "to": .string($0.target), "at": .string(ValueParser.iso8601($0.at))] }),
            "warnings": .array(warnings.map(JSON.string)),
        ]

        var block = TextBlock()
        for w in warnings where w.hasPrefix("NO KEY HOLDER") { block.line("!! " + w) }
        block.pairs([
            ("事件 incident", "\(incident.id)  \(kind.zh) \(kind.en)  \(incident.status)"),
            ("住户 household", incident.household + (incident.building.map { " (\($0)号楼 building \($0))" } ?? "")
                + (incident.known ? "" : "  !! not in the roster 不在名册" + (incident.address.map { ": " + (full ? $0 : "***") } ?? ""))),
            ("来电 call", ValueParser.display(incident.at) + " by " + incident.by.shown
                + (incident.caller.map { "; caller " + (full ? $0 : "***") } ?? "")
                + (incident.phone.map { " " + Phone.shown($0, full: full)! } ?? "")),
        ] + (incident.note.map { [("备注 note", full ? $0 : "***")] } ?? []))
        if b.residents.isEmpty {
            block.line("住户 residents: " + (incident.known ? "nobody recorded" : "unknown"))
        } else {
            block.line("住户 residents:")
            block.table(["name", "age", "tags", "phone"], b.residents.map { r in
                [r.name, r.age.map(String.init) ?? "-",
                 r.tags.map { $0 == "pregnant" && r.due != nil ? "pregnant 预产期 \(r.due!)" : $0 }.joined(separator: ", "),
                 Phone.shown(r.phone, full: full) ?? "-"]
            })
        }
        var pairs: [(String, String)] = [
            ("楼栋长 leader", b.leader.map { $0.name + ($0.phone.map { " " + Phone.shown($0, full: full)! } ?? "") } ?? "none"),
            ("应急门 gate", b.gate.map { g in
                g.name + (b.holder.map { ", key holder \($0.name) \(Phone.shown($0.phone, full: full)!) until \(ValueParser.display($0.to))" }
                    ?? ", NO KEY HOLDER ON DUTY")
            } ?? "none for this building"),
            ("值班 on call", b.oncall.isEmpty ? "nobody"
                : b.oncall.map { "\($0.role) \($0.shift.name) \(Phone.shown($0.shift.phone, full: full)!)" }.joined(separator: "; ")),
        ]
        if let p = b.plan {
            pairs.append(("预案 plan", p.reasons.map(describe).joined(separator: "; ")
                + ((note?.hospital ?? settings.hospital).map { "; hospital \($0)" } ?? "")
                + (note?.note.map { "; note " + (full ? $0 : "***") } ?? "")))
        }
        if let r = paged {
            pairs.append(("呼叫 paged", r.nobody.map { "nobody: \($0)" } ?? "\(r.gate ?? "") \(r.name ?? "") \(Phone.shown(r.phone, full: full) ?? "")"))
        }
        if !schedule.isEmpty {
            pairs.append(("升级 escalation", schedule.map { "\($0.target) \(Text.clock($0.at))" }.joined(separator: ", ")
                + " unless acknowledged (emergencies.ack \(incident.id) by=NAME)"))
        }
        block.pairs(pairs)
        block.line("清单 checklist:")
        block.table(["#", "step", "步骤", "what", "owner", "done"], incident.checklist.enumerated().map { i, name in
            let s = label(step: name)
            return ["\(i + 1)", name, s.zh, s.en, s.owner.map { o in o + (who[o].map { " \($0)" } ?? "") } ?? "-",
                    incident.done[name].map(Text.clock) ?? "-"]
        })
        for w in warnings where !w.hasPrefix("NO KEY HOLDER") { block.line("! " + w) }
        return (data, block)
    }

    /// `pregnant 王秀英 due 2022-01-20`, `elderly-alone + chronic-illness 张大爷`, `disabled 李强`.
    nonisolated func describe(_ r: PlanReason) -> String {
        switch r.kind {
        case "pregnant": "pregnant 孕妇 \(r.resident)" + (r.due.map { " due \($0)" } ?? " (due date unknown)")
        case "elderly-alone+chronic-illness": "elderly-alone + chronic-illness 独居老人 \(r.resident)"
        default: "\(r.kind) 残障 \(r.resident)"
        }
    }

    // MARK: the gate

    /// Whether the gate step comes due now: it is in the checklist, not done, not paged yet,
    /// and every step before it is done.
    func gateIsDue(_ incident: Incident) -> Bool {
        guard let i = incident.checklist.firstIndex(of: settings.gateStep), incident.done[settings.gateStep] == nil,
            !incident.paged(for: settings.gateStep)
        else { return false }
        return incident.checklist[..<i].allSatisfy { incident.done[$0] != nil }
    }

    /// The page of the key holder on duty at the incident's gate, and the event it announces
    /// (none when nobody can be paged).
    func pageEntry(_ incident: Incident, by actor: Actor, at t: Int64) -> (Entry, Announcement?) {
        let reached: Reached
        if let gate = state.gates(for: incident.building).first {
            if let shift = state.onDuty(gate: gate.name, at: t) {
                reached = Reached(name: shift.name, phone: shift.phone, gate: gate.name)
            } else {
                reached = Reached(gate: gate.name, nobody: "no key holder on duty at \(gate.name)")
            }
        } else {
            reached = Reached(nobody: "no gate for building \(incident.building ?? "?")")
        }
        let entry = Entry(what: .paged, at: t, by: actor, step: settings.gateStep, reached: reached, announced: reached.phone != nil)
        guard let phone = reached.phone else { return (entry, nil) }
        // The key holder's phone is what the event is for (a hook sends the SMS); nothing else personal.
        return (entry, Announcement("emergencies.paged", [
            "incident": .number(incident.id), "kind": .string(incident.kind), "building": .string(incident.building ?? "-"),
            "gate": .optional(reached.gate), "phone": .string(phone), "step": .string(settings.gateStep),
        ]))
    }

    // MARK: steps, acknowledgement, notes, pages, close

    func step(_ request: Request) async throws -> Reply {
        let id = try request[EmergencyArgs.id]
        var incident = try incident(id)
        let name = try request[EmergencyArgs.step]
        guard incident.checklist.contains(name) else {
            throw ControlError.invalidArgument("argument 'step': incident \(id) (\(incident.kind)) has no step '\(ValueParser.shown(name))'; "
                + "its steps are \(incident.checklist.joined(separator: ", "))")
        }
        try openOrConflict(incident, doing: "tick \(name)")
        if let done = incident.done[name] {
            let by = incident.timeline.last { $0.what == .step && $0.step == name }?.by?.shown ?? "?"
            throw ControlError.conflict("step \(name) of incident \(id) was done at \(ValueParser.display(done)) by \(by)")
        }
        let now = now()
        let at = try request[EmergencyArgs.at] ?? now
        try notBeforeTheCall(incident, at)
        let actor = Actor(name: try request[EmergencyArgs.by], uid: request.caller.uid)
        incident.done[name] = at
        let before = incident.outOfOrder(name)
        var entries = [Entry(what: .step, at: at, by: actor, step: name, outOfOrder: before.isEmpty ? nil : before,
                             text: try request[EmergencyArgs.note])]
        var announced = [Announcement("emergencies.step.done", ["incident": .number(id), "step": .string(name),
                                                                "out_of_order": .bool(!before.isEmpty)])]
        var paged: Reached?
        if gateIsDue(incident) {
            let (entry, event) = pageEntry(incident, by: actor, at: now)
            entries.append(entry)
            paged = entry.reached
            if let event { announced.append(event) }
        }
        let seq = try await record(StepDone(id: id, step: name, at: at, entries: entries), announcing: announced)
        let s = label(step: name)
        let remaining = state.incidents[id]?.remaining ?? []
        var message = "incident \(id): \(name) \(s.zh) done at \(Text.clock(at))"
        if !before.isEmpty { message += "; !! out of order 顺序不对: \(before.joined(separator: ", ")) not done yet" }
        if let paged { message += paged.nobody.map { "; !! \($0.uppercased())" } ?? "; paged \(paged.name!) at \(paged.gate!)" }
        message += remaining.isEmpty ? "; checklist complete" : "; next: \(remaining[0])"
        return Reply(data: [
            "id": .number(id), "step": .string(name), "zh": .string(s.zh), "en": .string(s.en), "at": .string(ValueParser.iso8601(at)),
            "by": .string(actor.shown), "out_of_order": .bool(!before.isEmpty), "skipped": .array(before.map(JSON.string)),
            "remaining": .array(remaining.map(JSON.string)),
            "paged": paged.map { r in ["gate": .optional(r.gate), "holder": .optional(r.name), "phone": .optional(r.phone),
                                       "nobody": .optional(r.nobody)] } ?? .null,
            "seq": .number(Int(seq)),
        ], lines: [], message: message)
    }

    func acknowledge(_ request: Request) async throws -> Reply {
        let id = try request[EmergencyArgs.id]
        let incident = try incident(id)
        try openOrConflict(incident, doing: "acknowledge it")
        if let acked = incident.ackedAt {
            throw ControlError.conflict("incident \(id) was acknowledged at \(ValueParser.display(acked)) by \(incident.ackedBy?.shown ?? "?")")
        }
        let at = try request[EmergencyArgs.at] ?? now()
        try notBeforeTheCall(incident, at)
        let actor = Actor(name: try request[EmergencyArgs.ackBy], uid: request.caller.uid)
        let seconds = at - incident.at
        let seq = try await record(Acknowledged(id: id, at: at, by: actor),
                                   announcing: [Announcement("emergencies.acknowledged", ["incident": .number(id), "seconds": .number(Int(seconds))])])
        await stopEscalation(incident)
        return Reply(data: ["id": .number(id), "by": .string(actor.shown), "at": .string(ValueParser.iso8601(at)),
                            "seconds": .number(Int(seconds)), "escalations": .number(incident.escalated), "seq": .number(Int(seq))],
                     lines: [], message: "incident \(id) acknowledged by \(actor.shown) \(Text.duration(seconds)) after the call"
                        + (incident.escalated > 0 ? " (after \(incident.escalated) escalation steps)" : "") + "; escalation stopped")
    }

    func note(_ request: Request) async throws -> Reply {
        let id = try request[EmergencyArgs.id]
        let incident = try incident(id)
        let text = try request[EmergencyArgs.text].trimmingSpaces
        guard !text.isEmpty else { throw ControlError.invalidArgument("argument 'text': the note is empty") }
        let at = try request[EmergencyArgs.at] ?? now()
        try notBeforeTheCall(incident, at)
        let actor = Actor(name: try request[EmergencyArgs.by], uid: request.caller.uid)
        let seq = try await record(EntriesAdded(id: id, entries: [Entry(what: .note, at: at, by: actor, text: text)]))
        let n = state.incidents[id]?.timeline.count ?? 0
        return Reply(data: ["id": .number(id), "n": .number(n), "seq": .number(Int(seq))], lines: [],
                     message: "note \(n) added to incident \(id)")
    }

    func pageAgain(_ request: Request) async throws -> Reply {
        let id = try request[EmergencyArgs.id]
        let incident = try incident(id)
        try openOrConflict(incident, doing: "page for it")
        let actor = Actor(name: try request[EmergencyArgs.by], uid: request.caller.uid)
        let (entry, event) = pageEntry(incident, by: actor, at: now())
        guard let event, let r = entry.reached else {
            throw ControlError.conflict("\(entry.reached?.nobody ?? "nobody to page") for incident \(id); "
                + "emergencies.gate.holder GATE name=… phone=… from=… to=… puts someone on duty")
        }
        let seq = try await record(EntriesAdded(id: id, entries: [entry]), announcing: [event])
        return Reply(data: ["id": .number(id), "paged": ["gate": .optional(r.gate), "holder": .optional(r.name), "phone": .optional(r.phone)],
                            "seq": .number(Int(seq))], lines: [], message: "paged \(r.name ?? "") at \(r.gate ?? "") for incident \(id)")
    }

    func close(_ request: Request) async throws -> Reply {
        let id = try request[EmergencyArgs.id]
        let incident = try incident(id)
        if let closed = incident.closedAt {
            throw ControlError.conflict("incident \(id) was closed at \(ValueParser.display(closed)) by \(incident.closedBy?.shown ?? "?") "
                + "(\(incident.outcome ?? "?")); add a note with emergencies.note \(id) text=…")
        }
        let outcome = try request[EmergencyArgs.outcome]
        let force = try request[EmergencyArgs.force] ?? false
        let left = incident.remaining
        if !left.isEmpty, !force {
            throw ControlError.conflict("incident \(id) has steps not done: \(left.joined(separator: ", ")); "
                + "tick them (emergencies.step \(id) STEP) or give force=yes to close it anyway (recorded)")
        }
        let at = try request[EmergencyArgs.at] ?? now()
        try notBeforeTheCall(incident, at)
        let actor = Actor(name: try request[EmergencyArgs.by], uid: request.caller.uid)
        let hospital = try request[EmergencyArgs.hospital]
        let seq = try await record(Closed(id: id, at: at, by: actor, outcome: outcome.rawValue, hospital: hospital, forced: !left.isEmpty,
                                          leftOpen: left, note: try request[EmergencyArgs.closeNote]),
                                   announcing: [Announcement("emergencies.closed", ["incident": .number(id), "outcome": .string(outcome.rawValue),
                                                                                    "forced": .bool(!left.isEmpty)])])
        await stopEscalation(incident)
        let closed = state.incidents[id] ?? incident
        return Reply(data: ["id": .number(id), "outcome": .string(outcome.rawValue), "hospital": .optional(hospital),
                            "left_open": .array(left.map(JSON.string)), "forced": .bool(!left.isEmpty),
                            "figures": figuresJSON(closed), "seq": .number(Int(seq))], lines: [],
                     message: "incident \(id) closed: \(outcome.rawValue) \(outcome.zh)" + (hospital.map { " to \($0)" } ?? "")
                        + (left.isEmpty ? "" : "; !! forced with \(left.joined(separator: ", ")) not done"))
    }

    /// 409 for an incident already closed.
    func openOrConflict(_ incident: Incident, doing what: String) throws {
        if let closed = incident.closedAt {
            throw ControlError.conflict("incident \(incident.id) was closed at \(ValueParser.display(closed)) "
                + "(\(incident.outcome ?? "?")); cannot \(what) now")
        }
    }

    /// 422 for a time before the call came.
    func notBeforeTheCall(_ incident: Incident, _ t: Int64) throws {
        guard t >= incident.at else {
            throw ControlError.invalidArgument("argument 'at': \(ValueParser.display(t)) is before the call of incident \(incident.id) "
                + "(\(ValueParser.display(incident.at)))")
        }
    }
}

extension JSON {
    /// The fields of an object (nil for anything else).
    var objectFields: [(String, JSON)]? { if case .object(let f) = self { f } else { nil } }
}
