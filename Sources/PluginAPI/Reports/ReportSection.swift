/// A plugin's part of the nightly report (`report.daily`, docs/plugins.md §9).
///
/// The host asks every running plugin that conforms for its section of one local day and
/// renders all of them in every format (text, Markdown, CSV, JSON, HTML with charts), so a new
/// plugin's section appears without touching the core. A section holds figures, tables and
/// charts as data, with labels in English and Chinese; no formatting.
public protocol ReportingPlugin: DoorstepPlugin {
    /// This plugin's section for `day`. Must not change state; reads the host clock through
    /// `day.now`, and names no person for a `day.viewer` (the report may be posted).
    func reportSection(for day: ReportDay) async throws -> ReportSection
}

/// The day a report is asked for, in the community's time zone.
public struct ReportDay: Sendable {
    /// `2022-01-12`.
    public var date: String
    /// The day's first and one-past-last second (epoch seconds).
    public var start: Int64
    public var end: Int64
    /// The host clock when the report was asked for.
    public var now: Int64
    /// True when the caller is a viewer: personal data must not appear.
    public var viewer: Bool

    public init(date: String, start: Int64, end: Int64, now: Int64, viewer: Bool) {
        self.date = date
        self.start = start
        self.end = end
        self.now = now
        self.viewer = viewer
    }
}

/// A text in both languages of the report (`lang=zh-CN` picks `zh`).
public struct Words: Sendable, Equatable, ExpressibleByStringLiteral {
    public var en: String
    public var zh: String

    public init(_ en: String, _ zh: String) {
        self.en = en
        self.zh = zh
    }

    /// The same text in both (a name, a number).
    public init(stringLiteral value: String) {
        en = value
        zh = value
    }

    public func text(zh chinese: Bool) -> String { chinese ? zh : en }
}

/// One plugin's section: headline figures, tables and charts.
public struct ReportSection: Sendable {
    /// The plugin's id (`visits`).
    public var plugin: String
    public var title: Words
    public var figures: [ReportFigure]
    public var tables: [ReportTable]
    public var charts: [ReportChart]

    public init(plugin: String, title: Words, figures: [ReportFigure] = [], tables: [ReportTable] = [], charts: [ReportChart] = []) {
        self.plugin = plugin
        self.title = title
        self.figures = figures
        self.tables = tables
        self.charts = charts
    }
}

/// A headline number or short value: "households visited today: 120".
public struct ReportFigure: Sendable {
    /// Stable key for JSON and CSV (`households_visited_today`).
    public var key: String
    public var label: Words
    /// A number or a string (`"¥1,200.00"`).
    public var value: JSON

    public init(_ key: String, _ label: Words, _ value: JSON) {
        self.key = key
        self.label = label
        self.value = value
    }
}

/// A table: columns with stable keys, rows of scalar values in column order.
public struct ReportTable: Sendable {
    public struct Column: Sendable {
        public var key: String
        public var label: Words
        public init(_ key: String, _ label: Words) {
            self.key = key
            self.label = label
        }
    }

    public var key: String
    public var title: Words
    public var columns: [Column]
    public var rows: [[JSON]]
    /// Shown instead of an empty table ("no incidents").
    public var empty: Words

    public init(_ key: String, _ title: Words, columns: [Column], rows: [[JSON]], empty: Words = Words("none", "无")) {
        self.key = key
        self.title = title
        self.columns = columns
        self.rows = rows
        self.empty = empty
    }
}

/// A chart, drawn as SVG in the HTML form and as bars of text in the others.
public struct ReportChart: Sendable {
    public enum Kind: String, Sendable {
        /// One bar per point: `value` of `total` (coverage by building), or `value` alone.
        case bars
        /// A line over time (`label` is the date); `reference` draws a second, dashed line
        /// (the ideal burn-down to the deadline).
        case line
        /// Stages of a funnel, largest first (needs opened → assigned → delivered).
        case funnel
        /// Events in time order: `label` the local time, `note` what happened, `value` minutes
        /// since the first.
        case timeline
    }

    public struct Point: Sendable {
        /// A building, a date, a time: data, the same in both languages; or a word (a stage).
        public var label: Words
        public var value: Double
        public var total: Double?
        public var reference: Double?
        public var note: String?

        public init(_ label: String, _ value: Double, total: Double? = nil, reference: Double? = nil, note: String? = nil) {
            self.init(Words(label, label), value, total: total, reference: reference, note: note)
        }

        public init(_ label: Words, _ value: Double, total: Double? = nil, reference: Double? = nil, note: String? = nil) {
            self.label = label
            self.value = value
            self.total = total
            self.reference = reference
            self.note = note
        }
    }

    public var key: String
    public var kind: Kind
    public var title: Words
    public var points: [Point]

    public init(_ key: String, _ kind: Kind, _ title: Words, points: [Point]) {
        self.key = key
        self.kind = kind
        self.title = title
        self.points = points
    }
}
