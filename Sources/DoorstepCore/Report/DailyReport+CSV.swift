import PluginAPI
import PluginSupport

/// CSV for Excel: blocks of rows (a title row, a header, the rows, a blank line), UTF-8 with a
/// byte-order mark and CRLF line ends (``csvFile``), so a double-click opens it with Chinese intact.
extension DailyReport {
    func csvLines() -> [String] {
        func row(_ cells: [String]) -> String { cells.map(CSV.field).joined(separator: ",") }
        var out = [row([title]), row([subtitle])]
        for section in sections {
            let name = t(section.title)
            if !section.figures.isEmpty {
                out += ["", row([name]), row(["key", chinese ? "指标" : "figure", chinese ? "数值" : "value"])]
                out += section.figures.map { row([$0.key, t($0.label), Self.csvValue($0.value)]) }
            }
            for chart in section.charts {
                let (header, rows) = chartRows(chart)
                // The text bar column means nothing in a spreadsheet.
                let keep = chart.kind == .timeline ? header.count : header.count - 1
                out += ["", row([name, t(chart.title)]), row(Array(header.prefix(keep)))]
                out += rows.map { row(Array($0.prefix(keep))) }
            }
            for table in section.tables {
                out += ["", row([name, t(table.title)]), row(table.columns.map { t($0.label) })]
                out += table.rows.map { row($0.map(Self.csvValue)) }
            }
        }
        if !unavailable.isEmpty { out += [""] + unavailable.map { row([$0.plugin, $0.reason]) } }
        return out
    }

    /// Numbers unformatted so a spreadsheet sums them; times as people read them.
    static func csvValue(_ value: JSON) -> String {
        switch value {
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        default: return value.plainText
        }
    }

    /// The CSV file exactly: BOM, CRLF.
    func csvFile() -> String {
        "\u{FEFF}" + csvLines().joined(separator: "\r\n") + "\r\n"
    }
}
