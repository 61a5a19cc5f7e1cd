import Foundation
import PluginAPI
import PluginSupport

/// Small text helpers: what operators type, and how replies show it.
enum Text {
    /// NFKC: full-width digits, letters and punctuation become ASCII (`６-１-１０１`).
    static func compatible(_ s: String) -> String { s.precomposedStringWithCompatibilityMapping }

    /// A household id as typed: trimmed, NFKC, `－` read as `-`.
    static func household(_ raw: String) -> String { compatible(raw).trimmingSpaces }

    /// A building as typed (`3号楼`, `3栋`, `３`): `3`.
    static func building(_ raw: String) -> String {
        var v = compatible(raw).trimmingSpaces
        while let suffix = ["号楼", "栋", "幢", "号"].first(where: { v.hasSuffix($0) && v.count > $0.count }) {
            v.removeLast(suffix.count)
            v = v.trimmingSpaces
        }
        return v
    }

    /// `3,4，5` → `["3", "4", "5"]`.
    static func list(_ raw: String) -> [String] {
        raw.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "、" }).map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }

    /// The building of a household id `B-U-R`, or nil for other text.
    static func buildingOf(_ household: String) -> String? {
        let parts = household.unicodeScalars.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        return String(String.UnicodeScalarView(parts[0]))
    }

    /// Free text as `full` callers see it (`***` for viewers, as the roster shows notes).
    static func shown(_ text: String?, full: Bool) -> String? { text.map { full ? $0 : "***" } }

    /// `45s`, `6m 05s`, `1h 02m`.
    static func duration(_ seconds: Int64) -> String {
        let s = max(0, seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(two(s % 60))s" }
        return "\(s / 3600)h \(two(s / 60 % 60))m"
    }

    private static func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// `04:12` in the community's zone (the date and offset are in the header lines).
    static func clock(_ t: Int64) -> String {
        let shown = ValueParser.display(t)   // 2022-01-12 04:12 +08:00 (or 04:12:30)
        let parts = shown.split(separator: " ")
        return parts.count >= 2 ? String(parts[1]) : shown
    }

    /// An age from a birth year, in the year of `t`.
    static func age(birthYear: Int?, at t: Int64) -> Int? {
        guard let birthYear, let year = Int(ValueParser.localDate(t).prefix(4)) else { return nil }
        return year - birthYear
    }
}

extension String {
    var trimmingSpaces: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// Hand-made text replies: `key: value` lines aligned by display width, then tables.
struct TextBlock {
    var lines: [String] = []

    /// Lines `key: value`, the values aligned (keys may be Chinese).
    mutating func pairs(_ rows: [(String, String)]) {
        let width = rows.map { DisplayWidth.of($0.0) }.max() ?? 0
        for (k, v) in rows { lines.append(DisplayWidth.pad(k + ":", to: width + 1) + " " + v) }
    }

    mutating func table(_ header: [String], _ rows: [[String]], indent: String = "  ") {
        guard !rows.isEmpty else { return }
        lines += TextRenderer.table(header: header, rows: rows).map { indent + $0 }
    }

    mutating func line(_ s: String) { lines.append(s) }
}
