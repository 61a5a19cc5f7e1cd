import PluginAPI

/// One self-contained HTML file: inline CSS and SVG, no script, no network, readable on a
/// phone (the charts scale with the width, wide tables scroll inside their box).
extension DailyReport {
    func htmlLines() -> [String] {
        var out = [
            "<!DOCTYPE html>",
            "<html lang=\"\(chinese ? "zh-CN" : "en")\">",
            "<head>",
            "<meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<title>\(Self.escaped(title))</title>",
            "<style>",
        ]
        out += Self.css
        out += ["</style>", "</head>", "<body>", "<header>", "<h1>\(Self.escaped(title))</h1>",
                "<p class=\"meta\">\(Self.escaped(subtitle))</p>", "</header>"]
        for section in sections {
            out.append("<section class=\"plugin\" id=\"\(Self.escaped(section.plugin))\">")
            out.append("<h2>\(Self.escaped(t(section.title)))</h2>")
            if !section.figures.isEmpty {
                out.append("<dl class=\"figures\">")
                for f in section.figures {
                    out.append("<div class=\"figure\" data-key=\"\(Self.escaped(f.key))\"><dt>\(Self.escaped(t(f.label)))</dt>"
                        + "<dd>\(Self.escaped(Self.cell(f.value)))</dd></div>")
                }
                out.append("</dl>")
            }
            for chart in section.charts {
                out.append("<figure class=\"chart\" data-key=\"\(Self.escaped(chart.key))\" data-kind=\"\(chart.kind.rawValue)\">")
                out.append("<figcaption>\(Self.escaped(t(chart.title)))</figcaption>")
                out += chart.points.isEmpty ? ["<p class=\"empty\">\(chinese ? "无数据" : "no data")</p>"] : svg(chart)
                out.append("</figure>")
            }
            for table in section.tables {
                out.append("<h3>\(Self.escaped(t(table.title)))</h3>")
                if table.rows.isEmpty {
                    out.append("<p class=\"empty\">\(Self.escaped(t(table.empty)))</p>")
                    continue
                }
                out.append("<div class=\"table-wrap\"><table data-key=\"\(Self.escaped(table.key))\">")
                out.append("<thead><tr>" + table.columns.map { "<th>\(Self.escaped(t($0.label)))</th>" }.joined() + "</tr></thead>")
                out.append("<tbody>")
                for row in table.rows {
                    out.append("<tr>" + row.map { v -> String in
                        let numeric: Bool = { if case .int = v { return true }; if case .double = v { return true }; return false }()
                        return "<td\(numeric ? " class=\"n\"" : "")>\(Self.escaped(Self.cell(v)))</td>"
                    }.joined() + "</tr>")
                }
                out += ["</tbody>", "</table></div>"]
            }
            out.append("</section>")
        }
        for u in unavailable {
            out.append("<p class=\"unavailable\">\(Self.escaped(u.plugin)): \(Self.escaped(u.reason))</p>")
        }
        out += ["</body>", "</html>"]
        return out
    }

    static let css = [
        ":root { color-scheme: light; --ink: #1d2430; --muted: #5b6675; --line: #d8dee6; --bar: #2f7d4f; --ref: #b5541c; }",
        "* { box-sizing: border-box; }",
        "body { margin: 0 auto; padding: 12px; max-width: 960px; color: var(--ink); background: #fff;",
        "  font: 15px/1.45 system-ui, -apple-system, \"Noto Sans CJK SC\", \"PingFang SC\", \"Microsoft YaHei\", sans-serif; }",
        "h1 { font-size: 1.35em; margin: 0.2em 0; } h2 { font-size: 1.15em; border-bottom: 2px solid var(--line); padding-bottom: 4px; }",
        "h3 { font-size: 1em; margin: 1em 0 0.4em; }",
        ".meta { color: var(--muted); margin: 0 0 1em; overflow-wrap: anywhere; }",
        ".figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 8px; margin: 0; }",
        ".figure { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; min-width: 0; }",
        ".figure dt { color: var(--muted); font-size: 0.85em; overflow-wrap: anywhere; } .figure dd { margin: 0; font-size: 1.3em; font-weight: 600; overflow-wrap: anywhere; }",
        "figure.chart { margin: 1em 0; } figcaption { font-weight: 600; margin-bottom: 4px; }",
        "svg { display: block; width: 100%; height: auto; } svg text { font-size: 14px; fill: var(--ink); }",
        ".table-wrap { overflow-x: auto; max-width: 100%; }",
        "table { border-collapse: collapse; min-width: 60%; } th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; white-space: nowrap; }",
        "td.n { text-align: right; font-variant-numeric: tabular-nums; }",
        ".empty, .unavailable { color: var(--muted); }",
        "@media print { body { max-width: none; } .table-wrap { overflow: visible; } }",
    ]

    // MARK: SVG

    static let svgWidth = 420.0

    func svg(_ chart: ReportChart) -> [String] {
        switch chart.kind {
        case .bars, .funnel: return barsSVG(chart)
        case .line: return lineSVG(chart)
        case .timeline: return timelineSVG(chart)
        }
    }

    /// Horizontal bars, one row per point: the label, the bar (of its total when given, else of
    /// the largest), the figure.
    func barsSVG(_ chart: ReportChart) -> [String] {
        let row = 26.0, labelWidth = 96.0, valueWidth = 104.0
        let barArea = Self.svgWidth - labelWidth - valueWidth
        let peak = chart.points.map { $0.total ?? $0.value }.max() ?? 0
        let height = row * Double(chart.points.count) + 6
        var out = [Self.svgOpen(height, chart)]
        for (i, p) in chart.points.enumerated() {
            let y = 3 + row * Double(i)
            let whole = p.total ?? peak
            let fraction = whole > 0 ? min(1, max(0, p.value / whole)) : 0
            let funnelInset = chart.kind == .funnel && peak > 0 ? (1 - (p.value / peak)) * barArea / 2 : 0
            let width = chart.kind == .funnel ? (peak > 0 ? barArea * p.value / peak : 0) : barArea * fraction
            if p.total != nil {
                out.append("<rect x=\"\(Self.f(labelWidth))\" y=\"\(Self.f(y + 3))\" width=\"\(Self.f(barArea))\" height=\"\(Self.f(row - 8))\" fill=\"#e8edf2\"/>")
            }
            out.append("<rect class=\"bar\" x=\"\(Self.f(labelWidth + funnelInset))\" y=\"\(Self.f(y + 3))\" width=\"\(Self.f(width))\" height=\"\(Self.f(row - 8))\" fill=\"var(--bar)\"/>")
            out.append("<text x=\"0\" y=\"\(Self.f(y + row - 9))\">\(Self.escaped(Self.clip(t(p.label), 6)))</text>")
            let figure = p.total.map { total in
                "\(Self.number(p.value))/\(Self.number(total))" + (total > 0 ? " \(Self.percent(p.value, of: total))" : "")
            } ?? Self.number(p.value)
            out.append("<text x=\"\(Self.f(Self.svgWidth - 2))\" y=\"\(Self.f(y + row - 9))\" text-anchor=\"end\">\(Self.escaped(figure))</text>")
        }
        out.append("</svg>")
        return out
    }

    /// A line over the points (the burn-down), with the reference dashed (the plan to the deadline).
    func lineSVG(_ chart: ReportChart) -> [String] {
        let height = 200.0, left = 56.0, bottom = 26.0, top = 10.0, right = 10.0
        let peak = max(1, chart.points.map { max($0.value, $0.reference ?? 0) }.max() ?? 1)
        let n = chart.points.count
        func x(_ i: Int) -> Double { left + (n > 1 ? Double(i) * (Self.svgWidth - left - right) / Double(n - 1) : (Self.svgWidth - left - right) / 2) }
        func y(_ v: Double) -> Double { top + (1 - v / peak) * (height - top - bottom) }
        var out = [Self.svgOpen(height, chart)]
        out.append("<line x1=\"\(Self.f(left))\" y1=\"\(Self.f(y(0)))\" x2=\"\(Self.f(Self.svgWidth - right))\" y2=\"\(Self.f(y(0)))\" stroke=\"#9aa5b1\"/>")
        out.append("<line x1=\"\(Self.f(left))\" y1=\"\(Self.f(top))\" x2=\"\(Self.f(left))\" y2=\"\(Self.f(y(0)))\" stroke=\"#9aa5b1\"/>")
        out.append("<text x=\"\(Self.f(left - 4))\" y=\"\(Self.f(top + 10))\" text-anchor=\"end\">\(Self.number(peak))</text>")
        out.append("<text x=\"\(Self.f(left - 4))\" y=\"\(Self.f(y(0)))\" text-anchor=\"end\">0</text>")
        let reference = chart.points.enumerated().compactMap { i, p in p.reference.map { "\(Self.f(x(i))),\(Self.f(y($0)))" } }
        if reference.count > 1 {
            out.append("<polyline class=\"reference\" points=\"\(reference.joined(separator: " "))\" fill=\"none\" stroke=\"var(--ref)\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>")
        }
        let values = chart.points.enumerated().map { i, p in "\(Self.f(x(i))),\(Self.f(y(p.value)))" }
        out.append("<polyline class=\"value\" points=\"\(values.joined(separator: " "))\" fill=\"none\" stroke=\"var(--bar)\" stroke-width=\"3\"/>")
        for (i, p) in chart.points.enumerated() {
            out.append("<circle cx=\"\(Self.f(x(i)))\" cy=\"\(Self.f(y(p.value)))\" r=\"3\" fill=\"var(--bar)\"><title>\(Self.escaped(t(p.label))): \(Self.number(p.value))</title></circle>")
        }
        if let first = chart.points.first {
            out.append("<text x=\"\(Self.f(left))\" y=\"\(Self.f(height - 6))\">\(Self.escaped(t(first.label)))</text>")
        }
        if n > 1, let last = chart.points.last {
            out.append("<text x=\"\(Self.f(Self.svgWidth - right))\" y=\"\(Self.f(height - 6))\" text-anchor=\"end\">\(Self.escaped(t(last.label)))</text>")
        }
        out.append("</svg>")
        return out
    }

    /// A vertical timeline: a dot per event with its time and what happened.
    func timelineSVG(_ chart: ReportChart) -> [String] {
        let row = 24.0
        let height = row * Double(chart.points.count) + 8
        var out = [Self.svgOpen(height, chart)]
        out.append("<line x1=\"12\" y1=\"8\" x2=\"12\" y2=\"\(Self.f(height - 8))\" stroke=\"#9aa5b1\"/>")
        for (i, p) in chart.points.enumerated() {
            let y = 14 + row * Double(i)
            out.append("<circle cx=\"12\" cy=\"\(Self.f(y))\" r=\"5\" fill=\"var(--bar)\"/>")
            let text = "\(t(p.label))  +\(Self.number(p.value))′  \(p.note ?? "")"
            out.append("<text x=\"26\" y=\"\(Self.f(y + 5))\">\(Self.escaped(Self.clip(text, 28)))</text>")
        }
        out.append("</svg>")
        return out
    }

    /// `46%`: whole percents, as a chart's label has little room.
    static func percent(_ value: Double, of total: Double) -> String { "\(Int64((value * 100 / total).rounded()))%" }

    static func svgOpen(_ height: Double, _ chart: ReportChart) -> String {
        "<svg viewBox=\"0 0 \(f(svgWidth)) \(f(height))\" role=\"img\" aria-label=\"\(escaped(chart.key))\" xmlns=\"http://www.w3.org/2000/svg\">"
    }

    /// At most `columns` display columns (an SVG label does not wrap).
    static func clip(_ s: String, _ columns: Int) -> String { fit(s, columns * 2) }

    static func f(_ d: Double) -> String {
        let r = (d * 10).rounded() / 10
        return r == r.rounded() ? String(Int64(r)) : String(r)
    }

    static func escaped(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\r": out += " "
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
