import ArgumentParser
import Foundation

/// The report: one row per workload, Doorstep beside its peer, the ratio and the goal.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise a results file (JSON lines) into a table on stdout and a JSON document.")

    @Option(help: "The measurements, one JSON line each.") var input: String
    @Option(help: "Write the summary as JSON here.") var json: String?
    @Option(help: "The machine, as text for the report.") var machine = ""
    @Option(help: "The command that produced the results.") var commandLine = ""
    @Flag(help: "Exit 1 when a measurement is missing (the smoke run's check).") var requireAll = false
    @Option(help: "Journal records of the replay rows, for their titles.") var records = 1_000_000
    @Option(help: "Households and residents of the roster rows, for their titles.") var roster = "100k/300k"

    func run() throws {
        let measurements = try Measurement.load(input)
        let rows = Row.all(records: records, roster: roster).map { $0.summarise(measurements) }
        print(Self.table(rows))
        if let json {
            let document = Document(machine: machine, command: commandLine, rows: rows)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(document).write(to: URL(fileURLWithPath: json))
        }
        let missing = rows.filter { $0.doorstep == nil || ($0.peerSystem != nil && $0.peer == nil) }.map(\.id)
        if !missing.isEmpty {
            FileHandle.standardError.write(Data("missing measurements: \(missing.joined(separator: ", "))\n".utf8))
            if requireAll { throw ExitCode(1) }
        }
    }

    static func table(_ rows: [Summary]) -> String {
        let header = ["workload", "doorstep", "peer", "ratio", "goal", ""]
        let cells: [[String]] = rows.map { r in
            let peer: String = r.peer.map { "\(r.peerSystem ?? ""): \($0.text)" } ?? ""
            let ratio: String = r.ratio.map { String(format: "%.2f×", $0) } ?? ""
            let met: String = r.met.map { $0 ? "ok" : "MISSED" } ?? ""
            return [r.title, r.doorstep?.text ?? "-", peer, ratio, r.goal ?? "", met]
        }
        let lines: [[String]] = [header] + cells
        let widths: [Int] = header.indices.map { i in lines.map { $0[i].count }.max() ?? 0 }
        return lines.map { line in
            line.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

/// The JSON document of a report.
struct Document: Encodable {
    var machine: String
    var command: String
    var rows: [Summary]
}

/// One system's figures for a row: medians over runs, and the primary figure's p99 over runs.
struct Figures: Encodable {
    var runs: Int
    var median: [String: Double]
    var p99: [String: Double]
    var text: String
}

/// A row of the report, summarised.
struct Summary: Encodable {
    var id: String
    var title: String
    var doorstep: Figures?
    var peerSystem: String?
    var peer: Figures?
    var ratio: Double?
    var goal: String?
    var met: Bool?
}

/// What each row of the report measures and what it is held to.
struct Row: Sendable {
    enum Kind {
        /// ops/s; ratio = Doorstep / peer, higher is better.
        case throughput
        /// Whole-process wall time (p50_us); ratio = Doorstep / peer, lower is better.
        case wallTime
        /// Start-up: ready_ms, with resident memory.
        case startup
        /// Items per second of a single timed command.
        case rate
        /// Roster memory per resident, derived from two start-ups.
        case memoryPerResident
    }

    var id: String
    var title: String
    var kind: Kind
    var peer: String?
    /// The goal as text, and the test of the ratio (or of the value when there is no peer).
    var goal: (String, @Sendable (Double) -> Bool)?

    static func all(records: Int, roster: String) -> [Row] { [
        Row(id: "read.c1.d1", title: "reads, 1 conn", kind: .throughput, peer: "redis"),
        Row(id: "read.c50.d1", title: "reads, 50 conns", kind: .throughput, peer: "redis", goal: ("≥ 0.8×", { $0 >= 0.8 })),
        Row(id: "read.c1.d16", title: "reads, 1 conn, pipelined 16", kind: .throughput, peer: "redis", goal: ("≥ 0.5×", { $0 >= 0.5 })),
        Row(id: "read.c50.d16", title: "reads, 50 conns, pipelined 16", kind: .throughput, peer: "redis", goal: ("≥ 0.5×", { $0 >= 0.5 })),
        Row(id: "durable.c1", title: "durable writes, 1 conn", kind: .throughput, peer: "redis"),
        Row(id: "durable.c50", title: "durable writes, 50 conns", kind: .throughput, peer: "redis", goal: ("≥ 1.0×", { $0 >= 1.0 })),
        Row(id: "ping", title: "doorstepctl ping (process)", kind: .wallTime, peer: "socat", goal: ("≤ 1.5×", { $0 <= 1.5 })),
        Row(id: "replay.journal", title: "start: \(records) journal records", kind: .startup, goal: ("≤ 2000 ms", { $0 <= 2000 })),
        Row(id: "replay.journal.snapshot", title: "start: \(records) records, snapshot", kind: .startup),
        Row(id: "replay.roster", title: "start: roster \(roster), journal", kind: .startup),
        Row(id: "replay.roster.snapshot", title: "start: roster \(roster), snapshot", kind: .startup),
        Row(id: "memory.roster", title: "roster memory per resident", kind: .memoryPerResident, goal: ("≤ 1 KiB", { $0 <= 1 })),
        Row(id: "import.roster", title: "roster.import \(roster) CSV", kind: .rate),
    ] }

    func summarise(_ all: [Measurement]) -> Summary {
        var s = Summary(id: id, title: title, peerSystem: peer, goal: goal?.0)
        let mine = all.filter { $0.row == id }
        s.doorstep = figures(mine.filter { $0.system == "doorstep" }, all: all)
        if let peer { s.peer = figures(mine.filter { $0.system == peer }, all: all) }
        let primary = self.primary
        if let d = s.doorstep?.median[primary] {
            if let p = s.peer?.median[primary], p > 0 { s.ratio = d / p }
            if let goal { s.met = goal.1(s.ratio ?? (peer == nil ? d : .nan)) }
        }
        return s
    }

    var primary: String {
        switch kind {
        case .throughput: "ops_per_second"
        case .wallTime: "p50_us"
        case .startup: "ready_ms"
        case .rate: "items_per_second"
        case .memoryPerResident: "kib_per_resident"
        }
    }

    private func figures(_ runs: [Measurement], all: [Measurement]) -> Figures? {
        var runs = runs
        if kind == .memoryPerResident {
            // (RSS with the roster − RSS of an empty daemon) / residents, from the start-ups that measured them.
            let loaded = all.filter { $0.row == "replay.roster.snapshot" && $0.system == "doorstep" }
            let empty = all.filter { $0.row == "baseline" && $0.system == "doorstep" }
            let residents = all.first { $0.row == "import.roster" }?.figures["items"]
            guard let residents, residents > 0, !loaded.isEmpty, !empty.isEmpty else { return nil }
            let base = median(empty.compactMap { $0.figures["rss_mib"] })
            runs = loaded.map { m in
                Measurement(row: id, system: "doorstep",
                            figures: ["kib_per_resident": ((m.figures["rss_mib"] ?? 0) - base) * 1024 / residents])
            }
        }
        guard !runs.isEmpty else { return nil }
        let keys = Set(runs.flatMap(\.figures.keys))
        var med: [String: Double] = [:], p99: [String: Double] = [:]
        for key in keys {
            let values = runs.compactMap { $0.figures[key] }.sorted()
            med[key] = median(values)
            p99[key] = Stats.percentile(values, 0.99)
        }
        let m = { (key: String) in med[key] ?? 0 }
        let text: String
        switch kind {
        case .throughput:
            text = String(format: "%.0f ops/s (p50 %@, p99 %@)", m("ops_per_second"), micros(m("p50_us")), micros(m("p99_us")))
        case .wallTime:
            text = String(format: "p50 %@, p99 %@", micros(m("p50_us")), micros(m("p99_us")))
        case .startup:
            text = String(format: "%.0f ms (p99 %.0f), RSS %.0f MiB, peak %.0f MiB", m("ready_ms"), p99["ready_ms"] ?? 0,
                          m("rss_mib"), m("peak_rss_mib"))
        case .rate:
            text = String(format: "%.0f rows/s (%.1f s)", m("items_per_second"), m("p50_us") / 1e6)
        case .memoryPerResident:
            text = String(format: "%.0f B/resident", m("kib_per_resident") * 1024)
        }
        return Figures(runs: runs.count, median: med, p99: p99, text: text)
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    private func micros(_ us: Double) -> String {
        us >= 1000 ? String(format: "%.2f ms", us / 1000) : String(format: "%.0f µs", us)
    }
}
