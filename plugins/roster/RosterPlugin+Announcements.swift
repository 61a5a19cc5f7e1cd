import PluginAPI
import PluginSupport

extension RosterPlugin {
    /// Records a put, announcing `roster.households.added` with every household it creates
    /// (`{"households": [{"id": "5-1-101", "building": "5"}, …], "count": N}`): visits joins
    /// them to the open campaigns of their buildings; and `roster.residents.changed` with every
    /// household whose residents it adds, changes or removes (`{"households": ["3-2-501", …],
    /// "count": N}`): emergencies follows tags into its plans. Ids and buildings only: no names.
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
        return try await record(put, announcing: announced)
    }

    /// `roster.residents.changed` for `households` (ids only).
    static func residentsChanged(_ households: [String]) -> Announcement {
        Announcement("roster.residents.changed", ["households": .array(households.map(JSON.string)), "count": .number(households.count)])
    }
}
