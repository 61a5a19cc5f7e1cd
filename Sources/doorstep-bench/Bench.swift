import ArgumentParser
import Foundation

/// `doorstep-bench`: the load generator and figures of `bench/run.sh`.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doorstep-bench",
        abstract: "Benchmark tools for Doorstep: a pipelined load generator for Doorstep and Redis sockets, whole-process timing, start-up timing, test data and the report.",
        discussion: "bench/run.sh drives these; see bench/README.md.",
        subcommands: [LoadCommand.self, SpawnCommand.self, StartCommand.self, RosterCommand.self, ReportCommand.self])
}

/// Options that name one measurement in the results file.
struct MeasurementOptions: ParsableArguments {
    @Option(help: "Row of the report this measurement belongs to (e.g. read.c50.d16).")
    var row = "adhoc"

    @Option(help: "The system measured: doorstep, redis, socat.")
    var system = "doorstep"

    @Option(help: "Append the measurement as a JSON line to this file.")
    var out: String?

    func record(_ fields: [String: Double], note: String? = nil) throws {
        var m = Measurement(row: row, system: system, figures: fields)
        m.note = note
        guard let out else { return }
        try m.append(to: out)
    }
}

struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive pipelined requests over many connections and print throughput and latency.")

    @Option(help: "doorstep or redis.") var wire: String = "doorstep"
    @Option(help: "Unix socket of the server.") var socket: String
    @Option(help: "Concurrent connections.") var clients = 1
    @Option(help: "Requests in flight per connection.") var depth = 1
    @Option(help: "Request template: {key} (from --keys), {n} (a counter), {value}.") var command: String
    @Option(help: "File with one key per line.") var keys: String?
    @Option(help: "Bytes of {value}.") var valueBytes = 32
    @Option(help: "Measured seconds.") var seconds = 3.0
    @Option(help: "Seconds run before measuring.") var warmup = 0.5
    @Option(help: "Send exactly this many requests instead of running for --seconds.") var total: Int?
    @Option(help: "Client threads.") var threads = 1
    @OptionGroup var measurement: MeasurementOptions

    func run() throws {
        guard let wire = Wire(rawValue: self.wire) else { throw ValidationError("--wire must be doorstep or redis") }
        guard clients >= 1, depth >= 1 else { throw ValidationError("--clients and --depth must be at least 1") }
        let keyList = try keys.map { try String(contentsOfFile: $0, encoding: .utf8).split(separator: "\n").map(String.init) } ?? []
        let template = Template(command)
        if template.usesKey, keyList.isEmpty { throw ValidationError("the command uses {key}: give --keys FILE") }
        let plan = LoadPlan(wire: wire, socket: socket, clients: clients, depth: depth, template: template, keys: keyList,
                            value: String(repeating: "v", count: valueBytes), seconds: seconds, warmup: warmup,
                            total: total, threads: threads)
        let r = try LoadGenerator.run(plan)
        print(String(format: "%@ %@ clients=%d depth=%d ops=%d seconds=%.2f ops/s=%.0f p50_us=%.0f p99_us=%.0f errors=%d",
                     measurement.row, measurement.system, clients, depth, r.ops, r.seconds, r.opsPerSecond,
                     r.p50Micros, r.p99Micros, r.errors))
        if let first = r.firstError { FileHandle.standardError.write(Data("first error: \(first)\n".utf8)) }
        try measurement.record(["ops_per_second": r.opsPerSecond, "p50_us": r.p50Micros, "p99_us": r.p99Micros,
                                "ops": Double(r.ops), "errors": Double(r.errors)])
        if r.errors > 0 || r.ops == 0 { throw ExitCode(1) }
    }
}
