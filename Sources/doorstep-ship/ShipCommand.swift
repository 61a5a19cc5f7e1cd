import ArgumentParser
import DoorstepCore
import DoorstepProtocol
import Foundation
import Glibc
import Logging
import PluginSupport
import ShipCore

/// `doorstep-ship`: ships one community daemon's committed events into the district's
/// PostgreSQL, exactly once (docs/district.md).
@main
struct ShipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doorstep-ship",
        abstract: "Ship a community's committed events into the district's PostgreSQL, exactly once.",
        discussion: """
            Reads [ship] (and [daemon] socket and timezone) of the daemon's config, subscribes to \
            the daemon's events from the cursor the database holds, and writes each batch with the \
            cursor in one transaction. Runs until stopped; reconnects when the daemon or the \
            database goes away. --migrate applies the SQL of sql/ first. See docs/district.md.
            """)

    @Option(name: .long, help: ArgumentHelp("The daemon's TOML config, with a [ship] section.", valueName: "FILE"))
    var config: String = "/etc/doorstep/doorstep.toml"

    @Option(name: .long, help: ArgumentHelp("The daemon's socket (default: $DOORSTEP_SOCKET, [ship] socket, [daemon] socket).", valueName: "PATH"))
    var socket: String?

    @Flag(name: .long, help: "Apply the schema migrations of sql/ to the database (under a lock; each once), then exit.")
    var migrate = false

    @Option(name: .long, help: ArgumentHelp("Where the migrations are (default: $DOORSTEP_SQL_DIR, then share/doorstep/sql beside the binary, then the source tree's sql/).", valueName: "DIR"))
    var sql: String?

    @Flag(name: .customLong("check-config"), help: "Validate the config's [ship] section and exit: 0 if valid, else print FILE:LINE:COL: message and exit 1.")
    var checkConfig = false

    @Flag(name: .customLong("resume-from-oldest"), help: "When the daemon compacted events that were never shipped: record the gap in district.gaps and go on from the oldest event its journal holds.")
    var resumeFromOldest = false

    @Flag(name: .long, help: "Print the version and exit.")
    var version = false

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: expected trace, debug, info, notice, warning, error or critical, got '\(logLevel)'")
        }
    }

    func run() async throws {
        if version {
            print("doorstep-ship \(DoorstepVersion.release) (schema \(DistrictStore.schemaVersion))")
            return
        }
        let plan: ShipPlan
        do {
            plan = try resolve()
        } catch {
            Self.standardError("doorstep-ship: \(error)\n")
            throw ExitCode(error is ConfigFileError || checkConfig ? 1 : 78)
        }
        if checkConfig {
            print("config OK: \(config): community \(plan.community) → \(plan.url)")
            return
        }
        LogOutput.bootstrap(level: Logger.Level(rawValue: logLevel) ?? .info, identifier: "doorstep-ship")
        var logger = Logger(label: "doorstep-ship")
        logger[metadataKey: "community"] = "\(plan.community)"
        if migrate {
            try await runMigrations(plan, logger: logger)
            return
        }
        let shutdown = Shutdown()
        let signals = Self.watchSignals(shutdown)
        let status = await Shipper(plan: plan, logger: logger, shutdown: shutdown).run()
        signals.forEach { $0.cancel() }
        if status != 0 { throw ExitCode(status) }
    }

    /// The plan from the config file and the command line.
    func resolve() throws -> ShipPlan {
        let loaded = try ConfigLoader.load(file: config, knownPlugins: nil)
        guard let ship = loaded.ship else {
            throw ShipFailure.config("\(config): no [ship] section; add one with database_url and community (docs/district.md)")
        }
        guard let url = ship.databaseURL else {
            throw ShipFailure.config("\(config): [ship] database_url is not set (postgres://USER@HOST/DATABASE)")
        }
        guard !ship.community.isEmpty else {
            throw ShipFailure.config("\(config): [ship] community is not set: the community's name in the district")
        }
        var password: String?
        if !ship.passwordFile.isEmpty {
            do {
                let text = try String(contentsOfFile: ship.passwordFile, encoding: .utf8)
                password = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            } catch {
                throw ShipFailure.config("\(config): [ship] password_file \(ship.passwordFile) cannot be read: \(error.localizedDescription)")
            }
        }
        let env = ProcessInfo.processInfo.environment
        let socketPath = socket ?? env["DOORSTEP_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (ship.socket.isEmpty ? loaded.daemon.socket : ship.socket)
        return ShipPlan(url: url, password: password, community: ship.community, timezone: loaded.daemon.zone.identifier,
                        personal: ship.personal, batchSize: ship.batchSize, events: ship.events, socket: socketPath,
                        resumeFromOldest: resumeFromOldest)
    }

    func runMigrations(_ plan: ShipPlan, logger: Logger) async throws {
        let dir = try Self.sqlDirectory(given: sql)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted().filter { $0.hasSuffix(".sql") }.map {
            (name: $0, text: try String(contentsOfFile: dir + "/" + $0, encoding: .utf8))
        }
        let migrations = try Migrations.plan(files)
        let store: DistrictStore
        do {
            store = try await DistrictStore.connect(plan.url, password: plan.password, community: plan.community, logger: logger)
        } catch {
            Self.standardError("doorstep-ship: cannot connect to \(plan.url): \(DistrictStore.describe(error))\n")
            throw ExitCode(1)
        }
        do {
            let applied = try await store.migrate(migrations)
            await store.close()
            if applied.isEmpty {
                print("schema up to date (version \(migrations.last?.version ?? 0)) in \(plan.url)")
            } else {
                print("applied \(applied.map { String(format: "%03d_%@.sql", $0.version, $0.name) }.joined(separator: ", ")) to \(plan.url) (from \(dir))")
            }
        } catch {
            await store.close()
            Self.standardError("doorstep-ship: \(error is ShipFailure || error is Migrations.Problem ? "\(error)" : DistrictStore.describe(error))\n")
            throw ExitCode(1)
        }
    }

    /// The directory of the migrations.
    static func sqlDirectory(given: String?) throws -> String {
        if let given { return given }
        if let env = ProcessInfo.processInfo.environment["DOORSTEP_SQL_DIR"], !env.isEmpty { return env }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        var candidates = [dir.appendingPathComponent("../share/doorstep/sql").standardized.path]
        for _ in 0..<4 {
            dir = dir.deletingLastPathComponent()
            candidates.append(dir.appendingPathComponent("sql").path)
        }
        candidates += ["/usr/local/share/doorstep/sql", "/usr/share/doorstep/sql"]
        for c in candidates where FileManager.default.fileExists(atPath: c + "/001_schema.sql") { return c }
        throw ShipFailure.config("no migrations found (looked in \(candidates.joined(separator: ", "))); give --sql DIR")
    }

    /// SIGTERM and SIGINT stop the shipper after the batch in flight.
    static func watchSignals(_ shutdown: Shutdown) -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { shutdown.stop() }
            source.resume()
            return source
        }
    }

    static func standardError(_ text: String) {
        _ = text.withCString { write(2, $0, strlen($0)) }
    }
}
