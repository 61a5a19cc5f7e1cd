import PluginAPI

extension EmergencyState {
    /// Removes the personal data of incidents that came before `before` (caller, phone,
    /// address, notes, the names and phones on the timeline and of who acknowledged and closed),
    /// of plans made before it (residents' names, due dates, operators' notes), and of duty
    /// shifts that ended before it (name and phone). Kinds, households, times, steps and
    /// outcomes stay, so reports count the same. Idempotent.
    mutating func purge(before: Int64) -> PurgeCounts {
        var counts: PurgeCounts = [:]
        for id in incidents.keys.sorted() {
            guard var i = incidents[id], i.at < before, Self.holdsPersonal(i) else { continue }
            i.caller = nil
            i.phone = nil
            i.address = nil
            i.note = nil
            i.by.name = nil
            i.ackedBy?.name = nil
            i.closedBy?.name = nil
            if !i.known { i.household = "" }     // the text typed for an address the roster did not know
            for e in i.timeline.indices {
                i.timeline[e].text = nil
                i.timeline[e].by?.name = nil
                i.timeline[e].reached?.name = nil
                i.timeline[e].reached?.phone = nil
            }
            incidents[id] = i
            counts["incidents", default: 0] += 1
        }
        for household in plans.keys.sorted() {
            guard var plan = plans[household], plan.since < before,
                plan.reasons.contains(where: { !$0.resident.isEmpty || $0.due != nil }) || planNotes[household]?.note != nil
            else { continue }
            plan.reasons = plan.reasons.map { PlanReason(kind: $0.kind, resident: "", due: nil) }
            plans[household] = plan
            planNotes[household]?.note = nil
            counts["plans", default: 0] += 1
        }
        for id in shifts.keys.sorted() where shifts[id]!.to < before && !(shifts[id]!.name.isEmpty && shifts[id]!.phone.isEmpty) {
            shifts[id]!.name = ""
            shifts[id]!.phone = ""
            counts["shifts", default: 0] += 1
        }
        return counts
    }

    static func holdsPersonal(_ i: Incident) -> Bool {
        i.caller != nil || i.phone != nil || i.address != nil || i.note != nil || i.by.name != nil || i.ackedBy?.name != nil
            || i.closedBy?.name != nil || (!i.known && !i.household.isEmpty)
            || i.timeline.contains { $0.text != nil || $0.by?.name != nil || $0.reached?.name != nil || $0.reached?.phone != nil }
    }

    /// Personal data held now, per kind.
    func personalData(cutoff: Int64?) -> [PersonalDataHeld] {
        func held(_ kind: String, _ times: [Int64]) -> PersonalDataHeld {
            PersonalDataHeld(kind: kind, count: times.count, oldest: times.min(), purgeDue: cutoff.map { c in times.filter { $0 < c }.count } ?? 0)
        }
        return [
            held("incidents", incidents.values.filter(Self.holdsPersonal).map(\.at)),
            held("plans", plans.values.filter { p in p.reasons.contains { !$0.resident.isEmpty } || planNotes[p.household]?.note != nil }.map(\.since)),
            held("shifts", shifts.values.filter { !$0.name.isEmpty || !$0.phone.isEmpty }.map(\.to)),
        ]
    }
}
