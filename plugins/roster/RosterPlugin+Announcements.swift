import PluginAPI
import PluginSupport

extension RosterPlugin {
    /// Records a put, announcing `roster.households.added` with every household it creates
    /// (`{"households": [{"id": "5-1-101", "building": "5"}, …], "count": N}`): visits joins
    /// them to the open campaigns of their buildings. Ids and buildings only: no names.
    @discardableResult
    func recordPut(_ put: ResidentsPut) async throws -> UInt64 {
        var seen = Set<String>()
        let created = (put.households + put.residents.map(\.household)).filter { state.households[$0] == nil && seen.insert($0).inserted }
        let announced: [Announcement] = created.isEmpty ? [] : [Announcement("roster.households.added", [
            "households": .array(created.map { ["id": .string($0), "building": .string(WalkingOrder.building(of: $0))] }),
            "count": .number(created.count),
        ])]
        return try await record(put, announcing: announced)
    }
}
