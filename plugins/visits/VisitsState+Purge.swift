import PluginAPI

extension VisitsState {
    /// Tested or flagged residents whose names were purged are `HOUSEHOLD/#N` (their number).
    static let purgedMark = "#"

    private static func isPurged(_ key: String) -> Bool {
        key.dropFirst(household(of: key).count + 1).hasPrefix(purgedMark)
    }

    /// Removes the personal data of what happened before `before`: visits' notes and visitors,
    /// needs' texts, items, resolutions and who resolved them, and the names of residents
    /// tested or flagged (they become `HOUSEHOLD/#N`, their number). Outcomes, people, categories
    /// and times stay, so `visits.coverage` and every count are unchanged. Idempotent.
    mutating func purge(before: Int64) -> PurgeCounts {
        var counts: PurgeCounts = [:]
        for i in visits.indices where visits[i].at < before && (visits[i].note != nil || visits[i].visitor != nil) {
            visits[i].note = nil
            visits[i].visitor = nil
            counts["visits", default: 0] += 1
        }
        for id in needs.keys.sorted() {
            guard var n = needs[id], n.openedAt < before,
                n.text != nil || n.item != nil || n.resolution != nil || n.resolvedBy != nil || n.reopenNote != nil
            else { continue }
            n.text = nil
            n.item = nil
            n.resolution = nil
            n.resolvedBy = nil
            n.reopenNote = nil
            needs[id] = n
            counts["needs", default: 0] += 1
        }
        var renamed: [String: String] = [:]
        for (key, at) in tests where at < before && !Self.isPurged(key) { renamed[key] = anonymous(key) }
        for (key, at) in flagged where at < before && !Self.isPurged(key) && tests[key] == nil { renamed[key] = anonymous(key) }
        for (key, to) in renamed.sorted(by: { $0.key < $1.key }) {
            if let t = tests.removeValue(forKey: key) { tests[to] = max(tests[to] ?? t, t) }
            if let s = testSites.removeValue(forKey: key) { testSites[to] = s }
            if let f = flagged.removeValue(forKey: key) { flagged[to] = f }
            if let slot = residentSlots.removeValue(forKey: key) { residentSlots[to] = slot }
        }
        if !renamed.isEmpty {
            counts["tests", default: 0] += renamed.count
            reindex()
        }
        return counts
    }

    /// `HOUSEHOLD/#N` for `HOUSEHOLD/NAME`, N its resident number (given if it had none).
    private func anonymous(_ key: String) -> String {
        let household = Self.household(of: key)
        let slot = residentSlots[key] ?? (residentSlots.keys.filter { Self.household(of: $0) == household }.count + 1)
        return household + "/" + Self.purgedMark + String(slot)
    }

    /// Personal data held now, per kind.
    func personalData(cutoff: Int64?) -> [PersonalDataHeld] {
        func held(_ kind: String, _ times: [Int64]) -> PersonalDataHeld {
            PersonalDataHeld(kind: kind, count: times.count, oldest: times.min(), purgeDue: cutoff.map { c in times.filter { $0 < c }.count } ?? 0)
        }
        return [
            held("visits", visits.filter { $0.note != nil || $0.visitor != nil }.map(\.at)),
            held("needs", needs.values.filter { $0.text != nil || $0.item != nil || $0.resolution != nil || $0.reopenNote != nil }.map(\.openedAt)),
            held("tests", tests.filter { !Self.isPurged($0.key) }.map(\.value) + flagged.filter { !Self.isPurged($0.key) && tests[$0.key] == nil }.map(\.value)),
        ]
    }
}
