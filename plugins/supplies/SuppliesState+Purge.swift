import PluginAPI

extension SuppliesState {
    /// Removes the personal data of what is older than `before`: requests' notes, the notes and
    /// names in their history and their assignee; donors' names, purposes and void reasons of
    /// ledger entries; stock moves' donor or supplier and reason. Items, quantities, statuses
    /// and every amount stay: the cash balance does not change. Idempotent.
    mutating func purge(before: Int64) -> PurgeCounts {
        var counts: PurgeCounts = [:]
        for id in requests.keys.sorted() {
            guard var r = requests[id], r.openedAt < before, Self.holdsPersonal(r) else { continue }
            r.note = nil
            r.assignee = nil
            for i in r.history.indices {
                r.history[i].note = nil
                r.history[i].by = nil
            }
            requests[id] = r
            counts["requests", default: 0] += 1
        }
        for i in ledger.indices where ledger[i].at < before && (ledger[i].donor != nil || ledger[i].purpose != nil || ledger[i].reason != nil) {
            ledger[i].donor = nil
            ledger[i].purpose = nil
            ledger[i].reason = nil
            counts[ledger[i].kind == "spend" ? "spends" : "donations", default: 0] += 1
        }
        for i in moves.indices where moves[i].at < before && moves[i].detail != nil {
            moves[i].detail = nil
            counts["moves", default: 0] += 1
        }
        return counts
    }

    static func holdsPersonal(_ r: SupplyRequest) -> Bool {
        r.note != nil || r.assignee != nil || r.history.contains { $0.note != nil || $0.by != nil }
    }

    /// Personal data held now, per kind.
    func personalData(cutoff: Int64?) -> [PersonalDataHeld] {
        func held(_ kind: String, _ times: [Int64]) -> PersonalDataHeld {
            PersonalDataHeld(kind: kind, count: times.count, oldest: times.min(), purgeDue: cutoff.map { c in times.filter { $0 < c }.count } ?? 0)
        }
        return [
            held("requests", requests.values.filter(Self.holdsPersonal).map(\.openedAt)),
            held("donations", ledger.filter { $0.kind != "spend" && ($0.donor != nil || $0.purpose != nil || $0.reason != nil) }.map(\.at)),
            held("spends", ledger.filter { $0.kind == "spend" && ($0.purpose != nil || $0.reason != nil) }.map(\.at)),
            held("moves", moves.filter { $0.detail != nil }.map(\.at)),
        ]
    }
}
