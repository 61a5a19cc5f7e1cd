public import PluginAPI
import PluginSupport

/// The reading part of `report.daily`: posts pushed per channel that day (and since the start,
/// the library's "537"), failures, online events held with registrations and attendance,
/// invitations. Counts only.
extension ReadingPromotionPlugin: ReportingPlugin {
    public func reportSection(for day: ReportDay) async throws -> ReportSection {
        func inDay(_ t: Int64?) -> Bool { t.map { $0 >= day.start && $0 < day.end } ?? false }
        var ids = settings.channels.map(\.id)
        for p in state.posts.values { for d in p.deliveries where !ids.contains(d.channel) { ids.append(d.channel) } }
        var today: [String: Int] = [:], failures = 0, total = 0
        for p in state.posts.values {
            for d in p.deliveries {
                if d.status == .published, let at = d.publishedAt, at < day.end {
                    total += 1
                    if inDay(at) { today[d.channel, default: 0] += 1 }
                }
                failures += d.failures.filter { inDay($0) }.count
            }
        }
        let events = state.events.values.filter { inDay($0.at) && $0.cancelledAt == nil }
        let figures = [
            ReportFigure("posts_pushed", Words("posts pushed", "当日推送"), .number(today.values.reduce(0, +))),
            ReportFigure("posts_pushed_total", Words("posts pushed so far", "累计推送"), .number(total)),
            ReportFigure("publish_failures", Words("publishing failures", "发布失败"), .number(failures)),
            ReportFigure("events", Words("online events", "线上活动"), .number(events.count)),
            ReportFigure("registrations", Words("registrations", "报名人次"), .number(events.map(\.registered).reduce(0, +))),
            ReportFigure("attendance", Words("attendance", "参与人次"), .number(events.map(\.attendance).reduce(0, +))),
            ReportFigure("invitations", Words("invitations to visit", "到馆邀约"), .number(state.invites.values.filter { inDay($0.at) }.count)),
        ]
        let chart = ReportChart("posts_by_channel", .bars, Words("Posts pushed by channel", "各渠道推送"),
                                points: ids.map { .init(display($0), Double(today[$0] ?? 0)) })
        return ReportSection(plugin: Self.id, title: Words("Reading promotion", "阅读推广"), figures: figures, charts: [chart])
    }
}

/// Gauges for `metrics`: posts waiting and failed, by channel.
extension ReadingPromotionPlugin: MetricsPlugin {
    public func gauges() async -> [PluginGauge] {
        var due: [String: Int] = [:], failed: [String: Int] = [:]
        for p in state.posts.values {
            for d in p.deliveries {
                if d.status == .due { due[d.channel, default: 0] += 1 }
                if d.status == .failed { failed[d.channel, default: 0] += 1 }
            }
        }
        return settings.channels.map(\.id).flatMap { id in [
            PluginGauge("posts_due", help: "Posts due on a channel and not yet published.", labels: [("channel", id)], value: Double(due[id] ?? 0)),
            PluginGauge("posts_failed", help: "Posts whose publishing failed on a channel.", labels: [("channel", id)], value: Double(failed[id] ?? 0)),
        ] }
    }
}
