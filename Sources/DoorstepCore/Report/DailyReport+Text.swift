import PluginAPI

/// Text (80 columns, aligned by display width so Chinese lines up) and Markdown.
extension DailyReport {
    /// The width a text report fits in: it is read in a terminal and pasted into chats.
    static let textWidth = 80
    /// Columns of a chart's bar in text.
    static let barWidth = 20

    func textLines() -> [String] {
        var out = [title, subtitle]
        for section in sections {
            out.append("")
            out.append("== \(t(section.title)) ==")
            let labelWidth = section.figures.map { DisplayWidth.of(t($0.label)) }.max() ?? 0
            for f in section.figures {
                out.append(Self.fit(DisplayWidth.pad(t(f.label), to: labelWidth) + "  " + Self.cell(f.value), Self.textWidth))
            }
            for chart in section.charts {
                out.append("")
                out.append("-- \(t(chart.title)) --")
                out += Self.alignedTable(chartRows(chart).header, chartRows(chart).rows, width: Self.textWidth)
            }
            for table in section.tables {
                out.append("")
                out.append("-- \(t(table.title)) --")
                if table.rows.isEmpty {
                    out.append(t(table.empty))
                } else {
                    out += Self.alignedTable(table.columns.map { t($0.label) }, table.rows.map { $0.map(Self.cell) }, width: Self.textWidth)
                }
            }
        }
        out += unavailableLines()
        return out
    }

    func unavailableLines() -> [String] {
        guard !unavailable.isEmpty else { return [] }
        return [""] + unavailable.map { (chinese ? "（\($0.plugin) 部分缺失：" : "(\($0.plugin) section missing: ") + $0.reason + (chinese ? "）" : ")") }
    }

    /// A chart as table rows: its figures and a bar of text.
    func chartRows(_ chart: ReportChart) -> (header: [String], rows: [[String]]) {
        let peak = chart.points.map { max($0.value, $0.total ?? 0, $0.reference ?? 0) }.max() ?? 0
        func bar(_ value: Double, of whole: Double) -> String {
            guard whole > 0 else { return "" }
            let n = Int((value / whole * Double(Self.barWidth)).rounded())
            return String(repeating: "█", count: max(0, min(n, Self.barWidth)))
                + String(repeating: "░", count: max(0, Self.barWidth - max(0, min(n, Self.barWidth))))
        }
        switch chart.kind {
        case .bars:
            if chart.points.contains(where: { $0.total != nil }) {
                return ([chinese ? "项目" : "item", chinese ? "完成" : "done", chinese ? "总数" : "total", "%", ""],
                        chart.points.map { p in
                            let total = p.total ?? 0
                            return [t(p.label), Self.number(p.value), Self.number(total),
                                    total > 0 ? Self.cell(.double(p.value * 100 / total)) : "-", bar(p.value, of: total)]
                        })
            }
            return ([chinese ? "项目" : "item", chinese ? "数量" : "count", ""],
                    chart.points.map { [t($0.label), Self.number($0.value), bar($0.value, of: peak)] })
        case .line:
            let hasReference = chart.points.contains { $0.reference != nil }
            return ([chinese ? "日期" : "date", chinese ? "数量" : "count"] + (hasReference ? [chinese ? "计划" : "plan"] : []) + [""],
                    chart.points.map { p in
                        [t(p.label), Self.number(p.value)] + (hasReference ? [p.reference.map(Self.number) ?? "-"] : []) + [bar(p.value, of: peak)]
                    })
        case .funnel:
            return ([chinese ? "阶段" : "stage", chinese ? "数量" : "count", ""],
                    chart.points.map { [t($0.label), Self.number($0.value), bar($0.value, of: peak)] })
        case .timeline:
            return ([chinese ? "时间" : "time", chinese ? "分钟" : "min", chinese ? "事件" : "event"],
                    chart.points.map { [t($0.label), "+" + Self.number($0.value), $0.note ?? ""] })
        }
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : cell(.double(d))
    }

    /// `text` cut to `width` display columns, with `…` when cut.
    static func fit(_ text: String, _ width: Int) -> String {
        guard DisplayWidth.of(text) > width else { return text }
        var out = "", used = 0
        for scalar in text.unicodeScalars {
            let w = DisplayWidth.of(scalar)
            if used + w > width - 1 { break }
            out.unicodeScalars.append(scalar)
            used += w
        }
        return out + "…"
    }

    /// A table aligned by display width within `width` columns: numbers right, text left; the
    /// widest columns are cut (with `…`) until it fits.
    static func alignedTable(_ header: [String], _ rows: [[String]], width: Int) -> [String] {
        var widths = header.map(DisplayWidth.of)
        for row in rows { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], DisplayWidth.of(c)) } }
        let gap = 2
        while widths.reduce(0, +) + gap * (widths.count - 1) > width, let widest = widths.indices.max(by: { widths[$0] < widths[$1] }), widths[widest] > 4 {
            widths[widest] -= 1
        }
        let numeric = header.indices.map { i in rows.allSatisfy { i >= $0.count || $0[i].isEmpty || isNumeric($0[i]) } && !rows.isEmpty }
        func line(_ cells: [String], header: Bool) -> String {
            var parts: [String] = []
            for (i, w) in widths.enumerated() {
                let c = fit(i < cells.count ? cells[i] : "", w)
                let pad = String(repeating: " ", count: max(0, w - DisplayWidth.of(c)))
                parts.append(numeric[i] && !header ? pad + c : c + pad)
            }
            var text = parts.joined(separator: String(repeating: " ", count: gap))
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        return [line(header, header: true)] + rows.map { line($0, header: false) }
    }

    static func isNumeric(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" || $0 == "," || $0 == "%" || $0 == "¥" }
    }

    // MARK: Markdown

    func markdownLines() -> [String] {
        var out = ["# \(Self.markdownEscaped(title))", "", "_\(Self.markdownEscaped(subtitle))_"]
        for section in sections {
            out += ["", "## \(Self.markdownEscaped(t(section.title)))", ""]
            if !section.figures.isEmpty {
                out += Self.markdownTable([chinese ? "指标" : "figure", chinese ? "数值" : "value"],
                                          section.figures.map { [t($0.label), Self.cell($0.value)] })
            }
            for chart in section.charts {
                let (header, rows) = chartRows(chart)
                out += ["", "### \(Self.markdownEscaped(t(chart.title)))", ""] + Self.markdownTable(header, rows)
            }
            for table in section.tables {
                out += ["", "### \(Self.markdownEscaped(t(table.title)))", ""]
                out += table.rows.isEmpty ? [t(table.empty)]
                    : Self.markdownTable(table.columns.map { t($0.label) }, table.rows.map { $0.map(Self.cell) })
            }
        }
        return out + unavailableLines()
    }

    static func markdownTable(_ header: [String], _ rows: [[String]]) -> [String] {
        func row(_ cells: [String]) -> String { "| " + cells.map(markdownCell).joined(separator: " | ") + " |" }
        return [row(header), "|" + header.map { _ in " --- |" }.joined()] + rows.map(row)
    }

    static func markdownCell(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "|" { out += "\\|" } else if c == "\n" || c == "\r\n" { out += " " } else { out.append(c) }
        }
        return out
    }

    static func markdownEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            if "\\`*_[]#<>|".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
