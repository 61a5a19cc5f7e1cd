/// A plugin that offers figures to the `metrics` command and textfile (docs/plugins.md §9):
/// gauges read when metrics are asked for, so one that no longer applies (a closed
/// campaign) simply stops appearing.
public protocol MetricsPlugin: DoorstepPlugin {
    /// The plugin's gauges now. Cheap: asked for at every scrape and textfile write.
    func gauges() async -> [PluginGauge]
}

/// One sample: `doorstep_PLUGIN_NAME{labels} value` (the host adds the prefix, with `-` of the
/// plugin id as `_`). Counts and percents only: no names, phones or notes in labels.
public struct PluginGauge: Sendable {
    /// `[a-z_][a-z0-9_]*`, such as `needs_open` or `coverage_percent`.
    public var name: String
    public var help: String
    public var labels: [(String, String)]
    public var value: Double

    public init(_ name: String, help: String, labels: [(String, String)] = [], value: Double) {
        self.name = name
        self.help = help
        self.labels = labels
        self.value = value
    }
}
