public import PluginAPI
import PluginSupport

/// The roster part of `report.daily`: households and residents by building, and how many
/// residents carry each tag (counts only: the report may be posted, so no names).
extension RosterPlugin: ReportingPlugin {
    public func reportSection(for day: ReportDay) async throws -> ReportSection {
        var order: [String] = [], households: [String: Int] = [:], residents: [String: Int] = [:], vacant: [String: Int] = [:]
        var tags: [String: Int] = [:]
        for id in state.orderedHouseholds {
            let people = state.households[id.description] ?? [:]
            if households[id.building] == nil { order.append(id.building) }
            households[id.building, default: 0] += 1
            residents[id.building, default: 0] += people.count
            if people.isEmpty { vacant[id.building, default: 0] += 1 }
            for r in people.values { for t in r.tags { tags[t, default: 0] += 1 } }
        }
        let total = households.values.reduce(0, +), people = residents.values.reduce(0, +)
        let figures = [
            ReportFigure("buildings", Words("buildings", "楼栋数"), .number(order.count)),
            ReportFigure("households", Words("households", "户数"), .number(total)),
            ReportFigure("residents", Words("residents", "居民人数"), .number(people)),
            ReportFigure("vacant", Words("vacant households", "空置户数"), .number(vacant.values.reduce(0, +))),
        ]
        let byBuilding = ReportTable("buildings", Words("By building", "按楼栋"), columns: [
            .init("building", Words("building", "楼栋")), .init("households", Words("households", "户数")),
            .init("residents", Words("residents", "人数")), .init("vacant", Words("vacant", "空置")),
        ], rows: order.map { [.string($0), .number(households[$0] ?? 0), .number(residents[$0] ?? 0), .number(vacant[$0] ?? 0)] },
           empty: Words("no households imported yet", "尚未导入住户"))
        let byTag = ReportTable("tags", Words("Residents by tag", "重点人群（按标签）"), columns: [
            .init("tag", Words("tag", "标签")), .init("residents", Words("residents", "人数")),
        ], rows: tags.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { [.string($0.key), .number($0.value)] },
           empty: Words("no tags", "无"))
        return ReportSection(plugin: Self.id, title: Words("Households and residents", "住户与居民"),
                             figures: figures, tables: [byBuilding, byTag])
    }
}

/// Gauges for `metrics`: households and residents on the roster.
extension RosterPlugin: MetricsPlugin {
    public func gauges() async -> [PluginGauge] {
        [PluginGauge("households", help: "Households on the roster.", value: Double(state.households.count)),
         PluginGauge("residents", help: "Residents on the roster.", value: Double(state.households.values.reduce(0) { $0 + $1.count }))]
    }
}
