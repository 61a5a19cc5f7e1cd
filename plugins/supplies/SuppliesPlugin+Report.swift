public import PluginAPI
import PluginSupport

/// The supplies part of `report.daily`: requests and deliveries of the day, the funnel of
/// every request, low stock, and the cash of the day (the figures of `supplies.report`).
extension SuppliesPlugin: ReportingPlugin {
    public func reportSection(for day: ReportDay) async throws -> ReportSection {
        // Requests opened after the day do not exist for its report.
        let all = state.requests.values.filter { $0.openedAt < day.end }
        let inDay = { (t: Int64) in t >= day.start && t < day.end }
        let opened = all.filter { inDay($0.openedAt) }.count
        let delivered = all.filter { r in r.history.contains { $0.status == "delivered" && inDay($0.at) } }.count
        let active = all.filter { $0.status != .delivered && $0.status != .cancelled }
        let age = { (r: SupplyRequest) in day.end - r.openedAt }
        let cashIn = state.ledger.filter { $0.kind != "spend" && inDay($0.at) }.reduce(0) { $0 + $1.signedFen }
        let cashOut = state.ledger.filter { $0.kind == "spend" && inDay($0.at) }.reduce(0) { $0 + $1.fen }
        let low = state.stock.filter { entry in entry.value.low.map { entry.value.onHand <= $0 } ?? false }.sorted { $0.key < $1.key }
        let figures = [
            ReportFigure("requests_opened", Words("requests opened", "新增物资需求"), .number(opened)),
            ReportFigure("requests_delivered", Words("requests delivered", "已送达"), .number(delivered)),
            ReportFigure("open_under_24h", Words("open < 24 h", "未完成（不足24小时）"), .number(active.filter { age($0) < 86_400 }.count)),
            ReportFigure("open_24h_to_72h", Words("open 24–72 h", "未完成（24–72小时）"),
                         .number(active.filter { age($0) >= 86_400 && age($0) < 259_200 }.count)),
            ReportFigure("open_over_72h", Words("open > 72 h", "未完成（超过72小时）"), .number(active.filter { age($0) >= 259_200 }.count)),
            ReportFigure("stock_low", Words("items low in stock", "库存不足品类"), .number(low.count)),
            ReportFigure("cash_in", Words("cash in", "收入"), .string("¥" + Self.yuan(cashIn))),
            ReportFigure("cash_out", Words("cash out", "支出"), .string("¥" + Self.yuan(cashOut))),
            ReportFigure("balance", Words("balance", "结余"), .string("¥" + Self.yuan(state.balance))),
        ]
        // Every request so far, by how far it got (cancelled ones leave the funnel).
        let live = all.filter { $0.status != .cancelled }
        let funnel = ReportChart("requests_funnel", .funnel, Words("Requests: opened → assigned → delivered", "物资需求：登记 → 分派 → 送达"), points: [
            .init(Words("opened", "登记"), Double(live.count)),
            .init(Words("assigned", "已分派"), Double(live.filter { $0.status != .open }.count)),
            .init(Words("delivered", "已送达"), Double(live.filter { $0.status == .delivered }.count)),
        ])
        let lowTable = ReportTable("stock_low", Words("Low stock", "库存不足"),
                                   columns: [.init("item", Words("item", "物资")), .init("on_hand", Words("on hand", "库存")),
                                             .init("low", Words("low mark", "预警线")), .init("unit", Words("unit", "单位"))],
                                   rows: low.map { [.string($0.key), .number($0.value.onHand), .number($0.value.low ?? 0), .string($0.value.unit)] },
                                   empty: Words("nothing is low", "无库存不足"))
        return ReportSection(plugin: Self.id, title: Words("Supplies and donations", "物资与捐赠"),
                             figures: figures, tables: [lowTable], charts: [funnel])
    }
}

/// Gauges for `metrics`: requests not yet delivered, items low, the cash balance.
extension SuppliesPlugin: MetricsPlugin {
    public func gauges() async -> [PluginGauge] {
        let open = state.requests.values.filter { $0.status != .delivered && $0.status != .cancelled }
        return [
            PluginGauge("requests_open", help: "Supply requests not yet delivered nor cancelled.", value: Double(open.count)),
            PluginGauge("stock_low_items", help: "Stock items at or below their low mark.",
                        value: Double(state.stock.values.filter { s in s.low.map { s.onHand <= $0 } ?? false }.count)),
            PluginGauge("balance_yuan", help: "Cash balance of the donations ledger (yuan).", value: Double(state.balance) / 100),
        ]
    }
}
