import PluginAPI
import PluginSupport
import RosterInterface

/// Prepared before the call: households with a resident pregnant near term, elderly and alone
/// with a chronic illness, or disabled. Kept from the roster's tags through the durable reaction
/// to `roster.residents.changed` (a plan appears and goes as tags change; a change that changes
/// no plan records nothing); the due-date window is applied when plans are read, so a pregnancy
/// comes into it as the days pass. A roster from before this plugin ran is scanned whole the
/// first time plans are read.
extension EmergenciesPlugin {
    /// Why `household` gets a plan, from its residents' tags.
    nonisolated static func reasons(_ household: HouseholdSummary) -> [PlanReason] {
        var out: [PlanReason] = []
        for r in household.residents {
            if r.tags.contains("pregnant") { out.append(PlanReason(kind: "pregnant", resident: r.name, due: r.due)) }
            if r.tags.contains("elderly-alone"), r.tags.contains("chronic-illness") {
                out.append(PlanReason(kind: "elderly-alone+chronic-illness", resident: r.name))
            }
            if r.tags.contains("disabled") { out.append(PlanReason(kind: "disabled", resident: r.name)) }
        }
        return out
    }

    /// Whether a reason holds at `t`: a pregnancy due within `plan_due_within_days` (or overdue,
    /// or with no due date); the others always.
    func holds(_ r: PlanReason, at t: Int64) -> Bool {
        guard r.kind == "pregnant", let due = r.due else { return true }
        return due <= ValueParser.localDate(t + Int64(settings.planDueWithinDays) * 86_400)
    }

    /// The plans that hold at `t`, by household, with only their reasons that hold.
    func activePlans(at t: Int64) -> [String: Plan] {
        var out: [String: Plan] = [:]
        for (h, p) in state.plans {
            let reasons = p.reasons.filter { holds($0, at: t) }
            if !reasons.isEmpty { out[h] = Plan(household: h, building: p.building, reasons: reasons, since: p.since) }
        }
        return out
    }

    /// `roster.residents.changed` (`{"households": [ids]}`): each household is read again from
    /// the roster; plans that appear, change or go are recorded in one record.
    func residentsChanged(_ event: Event) async throws {
        guard case .array(let items)? = event.data["households"] else { return }
        let ids = items.compactMap(\.plainString)
        guard !ids.isEmpty else { return }
        guard let roster else {
            // Retried with backoff by the host until the roster runs again: nothing is skipped.
            throw ControlError.unavailable("the roster is not running; plans wait for it")
        }
        var read: [(String, HouseholdSummary?)] = []
        if ids.count > 200 {
            // A whole register imported: one read of the roster instead of one per household.
            let wanted = Set(ids)
            var found: [String: HouseholdSummary] = [:]
            for h in await roster.households(buildings: nil) where wanted.contains(h.id) { found[h.id] = h }
            read = ids.map { ($0, found[$0]) }
        } else {
            for id in ids { read.append((id, await roster.household(id))) }
        }
        // After the awaits: compare with the plans as they are now.
        let now = now()
        var changed: [Plan] = []
        for (id, summary) in read {
            let reasons = summary.map(Self.reasons) ?? []
            let old = state.plans[id]
            guard old?.reasons != reasons, !(old == nil && reasons.isEmpty) else { continue }
            changed.append(Plan(household: id, building: summary?.building ?? WalkingOrder.building(of: id), reasons: reasons,
                                since: old?.since ?? now))
        }
        guard !changed.isEmpty else { return }
        // The first plan of a roster from before this plugin ran: the whole roster is read, and
        // that scan is this event's one record (it covers the event's households).
        if state.scannedAt == nil {
            try await scanPlans(roster)
            return
        }
        try await record(PlansChanged(plans: changed, at: now))
    }

    /// The plans that hold at `t`: from the state once a scan is recorded; before that (a roster
    /// from before this plugin ran, no plan changed since), read from the roster as it is,
    /// without recording anything.
    func plansNow(at t: Int64) async -> [String: Plan] {
        guard state.scannedAt == nil, let roster else { return activePlans(at: t) }
        var out: [String: Plan] = [:]
        for h in await roster.households(buildings: nil) {
            let reasons = Self.reasons(h).filter { holds($0, at: t) }
            if !reasons.isEmpty { out[h.id] = Plan(household: h.id, building: h.building, reasons: reasons, since: t) }
        }
        return out
    }

    func scanPlans(_ roster: any RosterDirectory) async throws {
        let all = await roster.households(buildings: nil)
        guard state.scannedAt == nil else { return }
        let now = now()
        let plans = all.compactMap { h -> Plan? in
            let reasons = Self.reasons(h)
            return reasons.isEmpty ? nil : Plan(household: h.id, building: h.building, reasons: reasons, since: state.plans[h.id]?.since ?? now)
        }
        try await record(PlansScanned(plans: plans, at: now))
    }

    func plans(building: String?, full: Bool) async -> Reply {
        let now = now()
        let wanted = building.map(Text.building)
        let picked = await plansNow(at: now).values.filter { wanted == nil || $0.building == wanted }
            .sorted { WalkingOrder.precedes($0.household, $1.household) }
        var leaders: [String: String] = [:]
        for b in Set(picked.map(\.building)) { leaders[b] = await contacts?.leader(ofBuilding: b)?.name }
        let rows: [JSON] = picked.map { p in
            let gate = state.gates(for: p.building).first
            let holder = gate.flatMap { state.onDuty(gate: $0.name, at: now) }
            let note = state.planNotes[p.household]
            return ["household": .string(p.household), "reasons": .string(p.reasons.map(shortReason).joined(separator: "; ")),
                    "residents": .string(Array(Set(p.reasons.map(\.resident))).sorted().joined(separator: ",")),
                    "hospital": .optional(note?.hospital ?? settings.hospital), "gate": .optional(gate?.name),
                    "holder": .string(gate == nil ? "-" : holder?.name ?? "NONE ON DUTY"), "leader": .optional(leaders[p.building] ?? nil)]
        }
        return Reply(data: .array(rows), message: "\(rows.count) households with a plan" + (building.map { " in building \($0)" } ?? ""))
    }

    /// `pregnant due 2022-01-20`, `elderly-alone+chronic-illness`, `disabled`.
    nonisolated func shortReason(_ r: PlanReason) -> String {
        r.kind == "pregnant" ? "pregnant due \(r.due ?? "?")" : r.kind
    }

    func plan(_ raw: String, full: Bool) async throws -> Reply {
        let id = Text.household(raw)
        guard let roster else { throw ControlError.unavailable("the roster is not running; a plan shows who lives there from it") }
        guard let summary = await roster.household(id) else { throw ControlError.notFound("household \(ValueParser.shown(id)) does not exist") }
        let phones = await contacts?.phones(household: summary.id) ?? [:]
        let leader = await contacts?.leader(ofBuilding: summary.building)
        let now = now()
        let current = state.scannedAt == nil ? await plansNow(at: now) : activePlans(at: now)
        guard let plan = current[summary.id] else {
            throw ControlError.notFound("household \(summary.id) has no plan: nobody there is pregnant due within "
                + "\(settings.planDueWithinDays) days, elderly-alone with chronic-illness, or disabled (roster tags)")
        }
        let gate = state.gates(for: summary.building).first
        let holder = gate.flatMap { state.onDuty(gate: $0.name, at: now) }
        let note = state.planNotes[summary.id]
        let residents: [JSON] = summary.residents.map { r in
            ["name": .string(r.name), "age": Text.age(birthYear: r.birthYear, at: now).map { .number($0) } ?? .null,
             "tags": .array(r.tags.map(JSON.string)), "due": .optional(r.due), "phone": .optional(Phone.shown(phones[r.name], full: full))]
        }
        let hospital = note?.hospital ?? settings.hospital
        let data: JSON = [
            "household": .string(summary.id), "building": .string(summary.building),
            "reasons": .array(plan.reasons.map { .string(describe($0)) }), "residents": .array(residents),
            "hospital": .optional(hospital), "gate": .optional(gate?.name), "holder": .optional(holder?.name),
            "holder_phone": .optional(Phone.shown(holder?.phone, full: full)), "leader": .optional(leader?.name),
            "leader_phone": .optional(Phone.shown(leader?.phone, full: full)), "note": .optional(Text.shown(note?.note, full: full)),
            "since": .string(ValueParser.iso8601(plan.since)),
        ]
        var block = TextBlock()
        block.pairs([("预案 plan", "\(summary.id) (\(summary.building)号楼 building \(summary.building))"),
                     ("原因 why", plan.reasons.map(describe).joined(separator: "; "))])
        block.line("住户 residents:")
        block.table(["name", "age", "tags", "phone"], summary.residents.map { r in
            [r.name, Text.age(birthYear: r.birthYear, at: now).map(String.init) ?? "-",
             r.tags.map { $0 == "pregnant" && r.due != nil ? "pregnant 预产期 \(r.due!)" : $0 }.joined(separator: ", "),
             Phone.shown(phones[r.name], full: full) ?? "-"]
        })
        block.pairs([
            ("医院 hospital", hospital ?? "not set (emergencies.plan.set \(summary.id) hospital=…)"),
            ("应急门 gate", gate.map { g in g.name + (holder.map { ", key holder \($0.name) \(Phone.shown($0.phone, full: full)!)" } ?? ", NO KEY HOLDER ON DUTY") }
                ?? "none for this building"),
            ("楼栋长 leader", leader.map { $0.name + ($0.phone.map { " " + Phone.shown($0, full: full)! } ?? "") } ?? "none"),
            ("备注 note", Text.shown(note?.note, full: full) ?? "-"),
        ])
        return Reply(data: data, lines: block.lines, message: "plan of \(summary.id): \(plan.reasons.map(shortReason).joined(separator: "; "))")
    }

    func setPlan(_ raw: String, hospital: String?, note: String?) async throws -> Reply {
        guard hospital != nil || note != nil else {
            throw ControlError.missingArgument("give hospital=NAME, note=TEXT or both (an empty value clears it)")
        }
        let id = Text.household(raw)
        let summary = await roster?.household(id)
        // A plan recorded, or (before any scan) one the roster's tags make now.
        let reasons = state.scannedAt == nil ? summary.map(Self.reasons) ?? [] : state.plans[id]?.reasons ?? []
        guard !reasons.isEmpty else {
            if roster != nil, summary == nil { throw ControlError.notFound("household \(ValueParser.shown(id)) does not exist") }
            throw ControlError.notFound("household \(ValueParser.shown(id)) has no plan: nobody there is pregnant, elderly-alone with "
                + "chronic-illness, or disabled (roster tags)")
        }
        let household = summary?.id ?? id
        var current = state.planNotes[household] ?? PlanNote()
        if let hospital { current.hospital = hospital.trimmingSpaces.isEmpty ? nil : hospital.trimmingSpaces }
        if let note { current.note = note.trimmingSpaces.isEmpty ? nil : note.trimmingSpaces }
        let seq = try await record(PlanNoted(household: household, note: current))
        return Reply(data: ["household": .string(household), "hospital": .optional(current.hospital), "note": .optional(current.note),
                            "seq": .number(Int(seq))], lines: [], message: "plan of \(household) updated")
    }
}

extension JSON {
    /// A string value's text (nil for anything else).
    var plainString: String? { if case .string(let s) = self { s } else { nil } }
}
