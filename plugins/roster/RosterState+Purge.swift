import PluginAPI

extension RosterState {
    /// Names of residents whose personal data was purged start with this (`已清除-1`).
    static let purgedPrefix = "已清除-"

    /// When a resident was last written; nil when unknown: state restored from a snapshot
    /// written before times were kept (0.1.0). Such residents are never taken for old: a purge
    /// keeps them until they are written again (an edit or a re-import stamps them), because a
    /// guess would erase every name of a community that upgrades (`privacy.report` counts them).
    func time(of household: String, _ name: String) -> Int64? { residentTimes?[household]?[name] }

    /// Removes the personal data of residents last written before `before`: the name becomes
    /// `已清除-N`, phone, ID number, note, tags and due date go; household, birth year and sex
    /// stay, so counts by household, building and age do not change. Idempotent.
    mutating func purge(before: Int64) -> PurgeCounts {
        var purged = 0
        for household in households.keys.sorted() {
            guard let residents = households[household] else { continue }
            var next = residents.keys.filter { $0.hasPrefix(Self.purgedPrefix) }.count + 1
            for name in residents.keys.sorted() where !name.hasPrefix(Self.purgedPrefix) && (time(of: household, name).map { $0 < before } ?? false) {
                var r = residents[name]!
                households[household]?.removeValue(forKey: name)
                residentTimes?[household]?.removeValue(forKey: name)
                r.name = Self.purgedPrefix + String(next)
                next += 1
                r.phone = nil
                r.idNumber = nil
                r.note = nil
                r.tags = []
                r.due = nil
                households[household]?[r.name] = r
                purged += 1
            }
        }
        return purged == 0 ? [:] : ["residents": purged]
    }

    /// Residents still holding personal data, the oldest's time, and how many are older than `cutoff`.
    func personalData(cutoff: Int64?) -> PersonalDataHeld {
        var count = 0, due = 0
        var oldest: Int64?
        for (household, residents) in households {
            for name in residents.keys where !name.hasPrefix(Self.purgedPrefix) {
                count += 1
                guard let t = time(of: household, name) else { continue }  // undated: kept
                oldest = min(oldest ?? t, t)
                if let cutoff, t < cutoff { due += 1 }
            }
        }
        return PersonalDataHeld(kind: "residents", count: count, oldest: oldest, purgeDue: due)
    }
}
