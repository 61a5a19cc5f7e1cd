import PluginAPI

/// The nightly report: every running plugin's section for one local day, rendered by the
/// host in each format (`report.daily`, docs/protocol.md §8). Plain data and pure functions:
/// the command gathers the sections, the renderers (`DailyReport+Text`, `+CSV`, `+HTML`)
/// only format them.
struct DailyReport: Sendable {
    enum Format: String, CaseIterable, Sendable {
        case text, markdown, csv, json, html
    }

    var date: String
    /// `Asia/Shanghai`.
    var zone: String
    /// `+08:00` on that day.
    var offset: String
    /// When it was made, as people read it (`2022-01-12 22:30 +08:00`).
    var generated: String
    var chinese: Bool
    var sections: [ReportSection]
    /// Plugins whose section could not be made, with why (the report still goes out).
    var unavailable: [(plugin: String, reason: String)]

    func t(_ words: Words) -> String { words.text(zh: chinese) }

    var title: String { chinese ? "社区每日报告 \(date)" : "Daily report \(date)" }

    var subtitle: String {
        chinese ? "时区 \(zone)（\(offset)）· 生成于 \(generated)" : "time zone \(zone) (\(offset)) · generated \(generated)"
    }

    /// A figure or cell as text: integers plain, fractions to one decimal.
    static func cell(_ value: JSON) -> String {
        switch value {
        case .double(let d):
            let r = (d * 10).rounded() / 10
            return r == r.rounded() ? String(Int64(r)) + ".0" : String(r)
        default:
            return value.plainText
        }
    }

    /// The report as JSON: stable keys, numbers as numbers; labels in the report's language.
    var json: JSON {
        .object([
            ("date", .string(date)), ("zone", .string(zone)), ("offset", .string(offset)), ("generated", .string(generated)),
            ("lang", .string(chinese ? "zh-CN" : "en")),
            ("sections", .array(sections.map(sectionJSON))),
            ("unavailable", .array(unavailable.map { ["plugin": .string($0.plugin), "reason": .string($0.reason)] })),
        ])
    }

    private func sectionJSON(_ s: ReportSection) -> JSON {
        .object([
            ("plugin", .string(s.plugin)), ("title", .string(t(s.title))),
            ("figures", .object(s.figures.map { ($0.key, $0.value) })),
            ("labels", .object(s.figures.map { ($0.key, .string(t($0.label))) })),
            ("tables", .array(s.tables.map { table in
                .object([
                    ("key", .string(table.key)), ("title", .string(t(table.title))),
                    ("columns", .array(table.columns.map { .string($0.key) })),
                    ("labels", .array(table.columns.map { .string(t($0.label)) })),
                    ("rows", .array(table.rows.map { row in
                        .object(zip(table.columns, row).map { ($0.key, $1) })
                    })),
                ])
            })),
            ("charts", .array(s.charts.map { chart in
                .object([
                    ("key", .string(chart.key)), ("kind", .string(chart.kind.rawValue)), ("title", .string(t(chart.title))),
                    ("points", .array(chart.points.map { p in
                        .object([("label", .string(t(p.label))), ("value", .double(p.value)),
                                 ("total", p.total.map(JSON.double) ?? .null), ("reference", p.reference.map(JSON.double) ?? .null),
                                 ("note", .optional(p.note))])
                    })),
                ])
            })),
        ])
    }

    /// The rendered document in `format`, as its lines (no line ends).
    func render(_ format: Format) -> [String] {
        switch format {
        case .text: return textLines()
        case .markdown: return markdownLines()
        case .csv: return csvLines()
        case .json: return [json.serialized]
        case .html: return htmlLines()
        }
    }
}
