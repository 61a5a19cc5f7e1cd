import PluginAPI

extension ReadingState {
    /// Removes the names, contacts and notes of registrations and invitations made before
    /// `before` (their dedupe keys too, which are made from the contact). Statuses, counts and
    /// attendance stay. Idempotent.
    mutating func purge(before: Int64) -> PurgeCounts {
        var counts: PurgeCounts = [:]
        for id in events.keys.sorted() {
            guard var event = events[id] else { continue }
            var changed = false
            for i in event.registrations.indices where event.registrations[i].at < before && Self.holdsPersonal(event.registrations[i]) {
                event.registrations[i].name = ""
                event.registrations[i].contact = ""
                event.registrations[i].key = ""
                changed = true
                counts["registrations", default: 0] += 1
            }
            if changed { events[id] = event }
        }
        for id in invites.keys.sorted() {
            guard var invite = invites[id], invite.at < before, !invite.name.isEmpty || !invite.contact.isEmpty || invite.note != nil else { continue }
            invite.name = ""
            invite.contact = ""
            invite.key = ""
            invite.note = nil
            invites[id] = invite
            counts["invitations", default: 0] += 1
        }
        return counts
    }

    static func holdsPersonal(_ r: Registration) -> Bool { !r.name.isEmpty || !r.contact.isEmpty || !r.key.isEmpty }

    /// Personal data held now, per kind.
    func personalData(cutoff: Int64?) -> [PersonalDataHeld] {
        func held(_ kind: String, _ times: [Int64]) -> PersonalDataHeld {
            PersonalDataHeld(kind: kind, count: times.count, oldest: times.min(), purgeDue: cutoff.map { c in times.filter { $0 < c }.count } ?? 0)
        }
        return [
            held("registrations", events.values.flatMap { $0.registrations.filter(Self.holdsPersonal).map(\.at) }),
            held("invitations", invites.values.filter { !$0.name.isEmpty || !$0.contact.isEmpty || $0.note != nil }.map(\.at)),
        ]
    }
}
