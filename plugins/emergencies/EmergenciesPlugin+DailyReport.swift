public import PluginAPI
import PluginSupport

/// The emergencies part of `report.daily`: the day's incidents with their response times (to
/// acknowledge, ambulance called, gate open, close), by kind and outcome, and their timeline.
/// Ids, kinds and times only: a household the roster did not know was typed as free text (an
/// address), so it is shown as `?`.
extension EmergenciesPlugin: ReportingPlugin {
    public func reportSection(for day: ReportDay) async throws -> ReportSection {
        let incidents = state.incidents.values.filter { $0.at >= day.start && $0.at < day.end }.sorted { $0.at < $1.at }
        let all = incidents.map(figures)
        func median(_ values: [Int64]) -> JSON {
            let s = values.sorted()
            guard !s.isEmpty else { return .null }
            let m = s.count % 2 == 1 ? Double(s[s.count / 2]) : Double(s[s.count / 2 - 1] + s[s.count / 2]) / 2
            return .double((m / 6).rounded() / 10)
        }
        func minutes(_ s: Int64?) -> JSON { s.map { .double((Double($0) / 6).rounded() / 10) } ?? .null }
        let figures = [
            ReportFigure("incidents", Words("incidents", "紧急事件"), .number(incidents.count)),
            ReportFigure("open", Words("still open", "未结案"), .number(incidents.filter(\.isOpen).count)),
            ReportFigure("escalated", Words("escalated (no ack in time)", "升级（未及时确认）"), .number(incidents.filter { $0.escalated > 0 }.count)),
            ReportFigure("ack_median_min", Words("to acknowledge, median (min)", "确认用时中位数（分钟）"), median(all.compactMap(\.ack))),
            ReportFigure("ambulance_median_min", Words("to ambulance called, median (min)", "叫车用时中位数（分钟）"), median(all.compactMap(\.ambulance))),
            ReportFigure("gate_median_min", Words("to gate open, median (min)", "开门用时中位数（分钟）"), median(all.compactMap(\.gate))),
            ReportFigure("close_median_min", Words("to close, median (min)", "结案用时中位数（分钟）"), median(all.compactMap(\.close))),
        ]
        let table = ReportTable("incidents", Words("Incidents (minutes from the call)", "紧急事件（距来电分钟数）"), columns: [
            .init("id", "#"), .init("time", Words("time", "时间")), .init("kind", Words("kind", "类型")),
            .init("household", Words("household", "住户")), .init("outcome", Words("outcome", "结果")),
            .init("ack_min", Words("ack", "确认")), .init("ambulance_min", Words("120", "叫车")),
            .init("gate_min", Words("gate", "开门")), .init("close_min", Words("close", "结案")),
        ], rows: zip(incidents, all).map { i, f in
            [.number(i.id), .string(Self.clock(i.at)), .string(i.kind), .string(i.known ? i.household : "?"),
             .string(i.outcome ?? "open"), minutes(f.ack), minutes(f.ambulance), minutes(f.gate), minutes(f.close)]
        }, empty: Words("no incidents", "无紧急事件"))
        var timeline: [ReportChart.Point] = []
        if let first = incidents.first?.at {
            for (i, f) in zip(incidents, all) {
                let done = f.close.map { "closed after \(Int($0 / 60)) min" } ?? "open"
                timeline.append(.init(Self.clock(i.at), Double((i.at - first) / 60), note: "#\(i.id) \(i.kind): \(i.outcome ?? done)"))
            }
        }
        let chart = ReportChart("incident_timeline", .timeline, Words("Incidents of the day", "当日紧急事件时间线"), points: timeline)
        return ReportSection(plugin: Self.id, title: Words("Emergencies", "紧急事件"), figures: figures, tables: [table], charts: [chart])
    }

    /// `04:12`: the local clock time.
    static func clock(_ t: Int64) -> String { String(ValueParser.display(t).split(separator: " ")[1]) }
}

/// Gauges for `metrics`: incidents open and not yet acknowledged.
extension EmergenciesPlugin: MetricsPlugin {
    public func gauges() async -> [PluginGauge] {
        let open = state.incidents.values.filter(\.isOpen)
        return [
            PluginGauge("incidents_open", help: "Emergencies opened and not closed.", value: Double(open.count)),
            PluginGauge("incidents_unacknowledged", help: "Open emergencies nobody has acknowledged.",
                        value: Double(open.filter { $0.ackedAt == nil }.count)),
        ]
    }
}
