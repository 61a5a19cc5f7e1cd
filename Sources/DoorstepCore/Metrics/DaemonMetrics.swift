import Prometheus
import PluginAPI
import Synchronization

/// The daemon's own figures in Prometheus' exposition format (`metrics`, `[metrics] textfile`):
/// requests by command and code, their latency, connections, the journal, and the plugins'
/// gauges (``MetricsPlugin``). Counters and histograms live in a swift-prometheus registry;
/// gauges are read when asked for.
final class DaemonMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    /// Request latency buckets (seconds): most answers take well under a millisecond, imports
    /// and reports longer.
    static let buckets: [Duration] = [.microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5),
                                      .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500),
                                      .seconds(1), .seconds(5)]
    /// Counters and histograms made so far, by label: the registry's own lookup takes a lock
    /// and builds a key from the labels each time; this is one dictionary read under a mutex.
    private let cache = Mutex<[String: (Counter, DurationHistogram?)]>([:])

    /// Counts one answered request: `command` is the command's name, or `unknown` for a line that
    /// names none (kept to one label, so typing random names cannot grow the metrics).
    func recordRequest(command: String, code: Int, duration: Duration) {
        let key = command + " " + String(code)
        let (counter, histogram) = cache.withLock { cache -> (Counter, DurationHistogram?) in
            if let found = cache[key] { return found }
            let counter = registry.makeCounter(name: "doorstep_requests_total", labels: [("command", command), ("code", String(code))],
                                               help: "Requests answered, by command and reply code.")
            // One histogram per command, shared by its codes.
            let histogram = cache.first { $0.key.hasPrefix(command + " ") }?.value.1
                ?? registry.makeDurationHistogram(name: "doorstep_request_duration_seconds", labels: [("command", command)],
                                                  buckets: Self.buckets, help: "Time from a request's arrival to its answer.")
            cache[key] = (counter, histogram)
            return (counter, histogram)
        }
        counter.increment()
        histogram?.record(duration)
    }

    /// The exposition text: the registry, then the daemon's and plugins' gauges.
    func exposition(runtime: DaemonRuntime) async -> String {
        var out = registry.emitToString()
        var gauges = GaugeText()
        let config = runtime.config
        gauges.add("doorstep_up", "1 while the daemon serves.", [], 1)
        gauges.add("doorstep_start_time_seconds", "When the daemon started (epoch seconds).", [], Double(runtime.startedAt))
        gauges.add("doorstep_connections_open", "Open control connections.", [], Double(runtime.openConnections.load(ordering: .relaxed)))
        gauges.add("doorstep_connections_max", "max_connections.", [], Double(config.daemon.maxConnections))
        gauges.add("doorstep_connections_accepted_total", "Connections accepted since start.", [],
                   Double(runtime.acceptedConnections.load(ordering: .relaxed)), type: "counter")
        gauges.add("doorstep_events_seq", "Sequence number of the last committed event.", [], Double(runtime.hub.lastSeq))
        if let store = runtime.host.store {
            let journal = store.journalSize
            gauges.add("doorstep_journal_bytes", "Bytes of journal segments on disk.", [], Double(journal.bytes))
            gauges.add("doorstep_journal_segments", "Journal segments on disk.", [], Double(journal.segments))
            if let sync = store.lastSync {
                gauges.add("doorstep_journal_last_fsync_time_seconds", "When the journal was last made durable (fsync; epoch seconds).",
                           [], sync.at)
                gauges.add("doorstep_journal_last_fsync_duration_seconds", "How long the last fsync of the journal took.",
                           [], Double(sync.micros) / 1_000_000)
            }
        }
        for (type, state) in runtime.host.states() {
            gauges.add("doorstep_plugin_running", "1 when the plugin runs.", [("plugin", type.id)], state == .running ? 1 : 0)
        }
        for (type, state) in runtime.host.states() where state == .running {
            guard let plugin = runtime.host.plugin(type.id).plugin as? any MetricsPlugin else { continue }
            let prefix = "doorstep_" + type.id.replacingDashes + "_"
            for g in await runtime.host.inZone({ await plugin.gauges() }) where GaugeText.isName(g.name) {
                gauges.add(prefix + g.name, g.help, g.labels, g.value)
            }
        }
        out += gauges.text
        if let community = runtime.config.ship?.community, !community.isEmpty {
            return Self.labelled(out, community: community)
        }
        return out
    }

    /// Every sample with `community="NAME"` first among its labels (`[ship] community`), so a
    /// district's Prometheus federating many communities tells them apart (docs/district.md).
    static func labelled(_ text: String, community: String) -> String {
        let label = "community=\"" + GaugeText.escapedLabel(community) + "\""
        var out = ""
        out.reserveCapacity(text.utf8.count + 64)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty || line.hasPrefix("#") {
                out += line
            } else if let brace = line.firstIndex(of: "{"), brace < (line.firstIndex(of: " ") ?? line.endIndex) {
                out += line[..<brace] + "{" + label + (line[line.index(after: brace)] == "}" ? "" : ",") + line[line.index(after: brace)...]
            } else if let space = line.firstIndex(of: " ") {
                out += line[..<space] + "{" + label + "}" + line[space...]
            } else {
                out += line
            }
            out += "\n"
        }
        out.removeLast()
        return out
    }
}

extension String {
    fileprivate var replacingDashes: String { String(map { $0 == "-" ? "_" : $0 }) }
}

/// Gauges in the exposition format, each family's HELP and TYPE once.
struct GaugeText {
    private(set) var text = ""
    private var seen: Set<String> = []

    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || ("a"..."z").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    mutating func add(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double, type: String = "gauge") {
        if seen.insert(name).inserted {
            text += "# HELP \(name) \(Self.escapedHelp(help))\n# TYPE \(name) \(type)\n"
        }
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapedLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + Self.number(value) + "\n"
    }

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    static func escapedHelp(_ s: String) -> String {
        var out = ""
        for c in s { out += c == "\\" ? "\\\\" : c == "\n" ? "\\n" : String(c) }
        return out
    }

    static func escapedLabel(_ s: String) -> String {
        var out = ""
        for c in s { out += c == "\\" ? "\\\\" : c == "\n" ? "\\n" : c == "\"" ? "\\\"" : String(c) }
        return out
    }
}
