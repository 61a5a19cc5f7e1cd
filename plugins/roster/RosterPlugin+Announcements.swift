import PluginAPI
import PluginSupport

extension RosterPlugin {
    /// Records a put, announcing `roster.households.added` with every household it creates
    /// (`{"households": [{"id": "5-1-101", "building": "5"}, …], "count": N}`): visits joins
    /// them to the open campaigns of their buildings; `roster.residents.changed` with every
    /// household whose residents it adds, changes or removes (`{"households": ["3-2-501", …],
    /// "count": N}`): emergencies follows tags into its plans; and `roster.residents.counted`
    /// with every household it creates or whose number of residents it changes (the district's
    /// figures). Ids, buildings and counts only: no names.
    @discardableResult
    func recordPut(_ put: ResidentsPut) async throws -> UInt64 {
        var seen = Set<String>()
        let created = (put.households + put.residents.map(\.household)).filter { state.households[$0] == nil && seen.insert($0).inserted }
        var announced: [Announcement] = created.isEmpty ? [] : [Announcement("roster.households.added", [
            "households": .array(created.map { ["id": .string($0), "building": .string(WalkingOrder.building(of: $0))] }),
            "count": .number(created.count),
        ])]
        var changed = Set<String>()
        let touched = (put.remove.compactMap(\.first) + put.residents.map(\.household)).filter { changed.insert($0).inserted }
        if !touched.isEmpty { announced.append(Self.residentsChanged(touched)) }
        announced += Self.residentsCounted(state.residentCounts(after: put))
        return try await record(put, announcing: announced)
    }

    /// `roster.residents.changed` for `households` (ids only).
    static func residentsChanged(_ households: [String]) -> Announcement {
        Announcement("roster.residents.changed", ["households": .array(households.map(JSON.string)), "count": .number(households.count)])
    }

    /// `roster.residents.counted` (`{"households": [{"id", "building", "residents"}], "count": N}`):
    /// how many residents live in each household now, for the district's figures (docs/district.md).
    static func residentsCounted(_ counts: [(household: String, residents: Int)]) -> [Announcement] {
        guard !counts.isEmpty else { return [] }
        return [Announcement("roster.residents.counted", [
            "households": .array(counts.map {
                ["id": .string($0.household), "building": .string(WalkingOrder.building(of: $0.household)), "residents": .number($0.residents)]
            }),
            "count": .number(counts.count),
        ])]
    }
}

extension RosterState {
    /// The households `put` creates or whose number of residents it changes, with that number
    /// after it (applied as ``RosterState/events`` applies it: removals, households, residents).
    func residentCounts(after put: ResidentsPut) -> [(household: String, residents: Int)] {
        var names: [String: Set<String>] = [:]
        func current(_ h: String) -> Set<String>? { names[h] ?? households[h].map { Set($0.keys) } }
        for pair in put.remove where pair.count == 2 {
            guard var s = current(pair[0]) else { continue }
            s.remove(pair[1])
            names[pair[0]] = s
        }
        for h in put.households { names[h] = current(h) ?? [] }
        for r in put.residents {
            var s = current(r.household) ?? []
            s.insert(r.name)
            names[r.household] = s
        }
        return names.filter { h, s in households[h]?.count != s.count }
            .map { (household: $0.key, residents: $0.value.count) }
            .sorted { WalkingOrder.precedes($0.household, $1.household) }
    }
}
