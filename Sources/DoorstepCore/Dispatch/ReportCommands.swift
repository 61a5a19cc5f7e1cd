import PluginAPI
import PluginSupport
import DoorstepProtocol

/// `report.daily`: asks every running plugin that reports (``ReportingPlugin``) for its
/// section and renders them together (docs/protocol.md §8, "The nightly report").
struct ReportCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("report.daily", summary: "the nightly report upward: every module's figures for one day, in any format", arguments: [
            .named("date", summary: "the local day (default: today)"),
            .named("format", .choice(DailyReport.Format.allCases.map(\.rawValue)),
                   summary: "text (80 columns), markdown, csv (Excel: BOM, CRLF), json, or html (one file with charts)"),
            .named("lang", .choice(["en", "zh-CN"]), summary: "language of titles and labels (default: the connection's, from hello)"),
        ]).zh("向上级报送的每日报告：各模块当天的数字，多种格式").example("report.daily date=2022-01-12 format=html lang=zh-CN"),
    ]

    let runtime: DaemonRuntime
    let session: Session

    func run(_ request: Request) async throws -> Reply {
        let format = request.string("format").flatMap(DailyReport.Format.init(rawValue:)) ?? .text
        let chinese = (request.string("lang") ?? session.lang) == "zh-CN"
        let host = runtime.host
        let report = try await host.inZone { () async throws -> DailyReport in
            let now = RequestClock.now ?? host.clock.now()
            let (start, end) = try ValueParser.localDay(request.string("date"), now: now)
            let day = ReportDay(date: ValueParser.localDate(start), start: start, end: end, now: now,
                                viewer: request.caller.role < .operator)
            var sections: [ReportSection] = []
            var unavailable: [(plugin: String, reason: String)] = []
            for (type, state) in host.states() where state == .running {
                guard let plugin = host.plugin(type.id).plugin as? any ReportingPlugin else { continue }
                do {
                    try host.beginRequest(type.id)
                    defer { host.endRequest(type.id) }
                    sections.append(try await plugin.reportSection(for: day))
                } catch {
                    unavailable.append((type.id, "\(error)"))
                }
            }
            return DailyReport(date: day.date, zone: CommunityZone.current.identifier,
                               offset: ValueParser.offsetText(CommunityZone.current.offset(at: start)),
                               generated: ValueParser.display(now), chinese: chinese, sections: sections, unavailable: unavailable)
        }
        var data = report.json
        var lines = report.render(format)
        // As roster.export: `doorstepctl report.daily format=csv > FILE` opens as UTF-8 in Excel.
        if format == .csv, !lines.isEmpty { lines[0] = "\u{FEFF}" + lines[0] }
        switch format {
        case .csv: data = addDocument(data, "csv", report.csvFile())
        case .html, .markdown: data = addDocument(data, format.rawValue, lines.joined(separator: "\n") + "\n")
        case .text, .json: break
        }
        let message = report.chinese ? "\(report.date) 日报：\(report.sections.count) 个模块" : "daily report \(report.date): \(report.sections.count) sections"
        return Reply(data: data, lines: lines, message: message)
    }

    /// The rendered file beside the report's data, for JSON clients (`data.html`).
    private func addDocument(_ data: JSON, _ key: String, _ text: String) -> JSON {
        guard case .object(var fields) = data else { return data }
        fields.append((key, .string(text)))
        return .object(fields)
    }
}
