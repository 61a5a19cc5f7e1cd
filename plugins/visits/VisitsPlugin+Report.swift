public import PluginAPI
import PluginSupport
import RosterInterface

/// The visits part of `report.daily`: the day's door-knocking, each open campaign's coverage by
/// building and its burn-down against the deadline, refusals and follow-ups, needs by age,
/// and testing coverage. Coverage counts visits made before the day's end, so a report for an
/// earlier day shows that day's figures.
extension VisitsPlugin: ReportingPlugin {
    public func reportSection(for day: ReportDay) async throws -> ReportSection {
        let inDay = { (t: Int64) in t >= day.start && t < day.end }
        var latestToday: [String: Visit] = [:]
        for v in state.visits where inDay(v.at) { latestToday[v.campaign + "\u{0}" + v.household] = v }
        let visitedToday = Set(latestToday.values.filter { $0.outcome.visited }.map(\.household))
        let people = latestToday.values.filter { $0.outcome == .answered }.reduce(0) { $0 + ($1.people ?? 0) }
        let refused = Set(latestToday.values.filter { $0.outcome == .refused }.map(\.household))
        let needs = state.needs.values.filter { $0.openedAt < day.end }
        let open = needs.filter { $0.resolvedAt.map { $0 >= day.end } ?? true }
        let age = { (n: Need) in day.end - n.openedAt }
        var figures = [
            ReportFigure("households_visited", Words("households visited", "入户走访户数"), .number(visitedToday.count)),
            ReportFigure("people_counted", Words("people counted", "登记人数"), .number(people)),
            ReportFigure("households_refused", Words("households refusing", "拒绝配合户数"), .number(refused.count)),
            ReportFigure("followups", Words("households to follow up", "待回访户数"), .number(followupHouseholds(campaign: nil).0.count)),
            ReportFigure("needs_opened", Words("needs recorded", "新增需求"), .number(needs.filter { inDay($0.openedAt) }.count)),
            ReportFigure("needs_resolved", Words("needs resolved", "已解决需求"), .number(needs.filter { ($0.resolvedAt).map(inDay) ?? false }.count)),
            ReportFigure("needs_open", Words("needs open", "未解决需求"), .number(open.count)),
            ReportFigure("residents_tested", Words("residents tested", "当日检测人数"), .number(state.tests.values.filter(inDay).count)),
        ]
        if let roster = context.services.lookup((any RosterDirectory).self) {
            var residents = 0, tested = 0
            for h in await roster.households(buildings: nil) {
                for r in h.residents {
                    residents += 1
                    if let t = state.tests[h.id + "/" + r.name], t >= day.end - Self.defaultWindow, t < day.end { tested += 1 }
                }
            }
            figures += [
                ReportFigure("testing_percent", Words("tested within 72 h (%)", "72小时内检测覆盖率（%）"),
                             .double(residents == 0 ? 100 : (Double(tested) * 1000 / Double(residents)).rounded() / 10)),
                ReportFigure("untested", Words("residents untested in 72 h", "72小时内未检测人数"), .number(residents - tested)),
            ]
        }
        var charts: [ReportChart] = []
        var campaignRows: [[JSON]] = []
        for c in state.openCampaigns.reversed() where c.startedAt < day.end {
            let first = firstVisits(c, before: day.end)
            charts.append(coverageChart(c, first))
            charts.append(burndownChart(c, first, day: day))
            let refusedNow = c.households.filter { state.latestVisit(c.name, $0)?.outcome == .refused }.count
            campaignRows.append([.string(c.name), .number(first.count), .number(c.households.count),
                                 .double(c.households.isEmpty ? 100 : (Double(first.count) * 1000 / Double(c.households.count)).rounded() / 10),
                                 .number(refusedNow), .string(ValueParser.display(c.deadline))])
        }
        let campaigns = ReportTable("campaigns", Words("Open campaigns", "进行中的排查"), columns: [
            .init("campaign", Words("campaign", "排查")), .init("visited", Words("visited", "已走访")),
            .init("households", Words("households", "总户数")), .init("percent", Words("%", "覆盖率%")),
            .init("refused", Words("refused", "拒绝")), .init("deadline", Words("deadline", "截止")),
        ], rows: campaignRows, empty: Words("no open campaign", "无进行中的排查"))
        let byAge = ReportTable("needs_open_by_age", Words("Open needs by age", "未解决需求（按时长）"), columns: [
            .init("category", Words("category", "类别")), .init("under_24h", Words("< 24 h", "不足24小时")),
            .init("24h_to_72h", Words("24–72 h", "24–72小时")), .init("over_72h", Words("> 72 h", "超过72小时")),
        ], rows: NeedCategory.allCases.compactMap { category in
            let of = open.filter { $0.category == category }
            guard !of.isEmpty else { return nil }
            return [.string(category.rawValue), .number(of.filter { age($0) < 86_400 }.count),
                    .number(of.filter { age($0) >= 86_400 && age($0) < 259_200 }.count), .number(of.filter { age($0) >= 259_200 }.count)]
        }, empty: Words("no open needs", "无未解决需求"))
        return ReportSection(plugin: Self.id, title: Words("Visits, needs and testing", "入户走访、需求与检测"),
                             figures: figures, tables: [campaigns, byAge], charts: charts)
    }

    /// Household → when it was first visited (answered or found vacant) for campaign `c`, before `end`.
    func firstVisits(_ c: Campaign, before end: Int64) -> [String: Int64] {
        var first: [String: Int64] = [:]
        for v in state.visits where v.at < end && v.outcome.visited && (v.campaign == c.name || (v.also ?? []).contains(c.name)) {
            if first[v.household] == nil { first[v.household] = v.at }
        }
        return first
    }

    func coverageChart(_ c: Campaign, _ first: [String: Int64]) -> ReportChart {
        var order: [String] = [], total: [String: Int] = [:], visited: [String: Int] = [:]
        for h in c.households {
            let b = c.buildingOf[h] ?? "?"
            if total[b] == nil { order.append(b) }
            total[b, default: 0] += 1
            if first[h] != nil { visited[b, default: 0] += 1 }
        }
        return ReportChart("coverage_\(c.name)", .bars, Words("Coverage by building: \(c.name)", "各楼栋覆盖：\(c.name)"),
                           points: order.map { .init($0, Double(visited[$0] ?? 0), total: Double(total[$0]!)) })
    }

    /// Households still to visit at the end of each day since the campaign began (at most the
    /// last 31), beside the plan: a straight line from all of them to none at the deadline.
    func burndownChart(_ c: Campaign, _ first: [String: Int64], day: ReportDay) -> ReportChart {
        let total = Double(c.households.count)
        let span = Double(max(1, c.deadline - c.startedAt))
        let times = first.values.sorted()
        var points: [ReportChart.Point] = []
        var dayStart = (try? ValueParser.localDay(nil, now: c.startedAt))?.start ?? c.startedAt
        while dayStart < day.end {
            guard let (s, e) = try? ValueParser.localDay(nil, now: dayStart) else { break }
            let done = times.prefix { $0 < e }.count
            let plan = max(0, total * (1 - Double(min(e, c.deadline) - c.startedAt) / span))
            points.append(.init(ValueParser.localDate(s), total - Double(done), reference: (plan * 10).rounded() / 10))
            dayStart = e
        }
        return ReportChart("burndown_\(c.name)", .line, Words("Households still to visit: \(c.name) (plan dashed)", "剩余未走访户数：\(c.name)（虚线为计划）"),
                           points: Array(points.suffix(31)))
    }
}

/// Gauges for `metrics`: open needs, and each open campaign's coverage.
extension VisitsPlugin: MetricsPlugin {
    public func gauges() async -> [PluginGauge] {
        var out = [PluginGauge("needs_open", help: "Needs recorded on visits and not resolved.",
                               value: Double(state.needs.values.filter { $0.resolvedAt == nil }.count))]
        for c in state.openCampaigns {
            let visited = Double(progress(c).visited), total = Double(c.households.count)
            out.append(PluginGauge("campaign_households", help: "Households an open campaign covers.", labels: [("campaign", c.name)], value: total))
            out.append(PluginGauge("campaign_visited", help: "Households of an open campaign visited (answered or vacant).",
                                   labels: [("campaign", c.name)], value: visited))
            out.append(PluginGauge("coverage_percent", help: "Percent of an open campaign's households visited.",
                                   labels: [("campaign", c.name)], value: total == 0 ? 100 : (visited * 1000 / total).rounded() / 10))
        }
        return out
    }
}
