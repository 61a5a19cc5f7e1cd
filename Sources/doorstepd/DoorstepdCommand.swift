import ArgumentParser
import DoorstepCore
import DoorstepProtocol
import Glibc
import Logging

/// `doorstepd`: the community operations daemon, in the foreground.
@main
struct DoorstepdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doorstepd",
        abstract: "Doorstep: community operations daemon (visits, supplies, emergencies, reading promotion).",
        discussion: """
            Runs in the foreground and logs to stderr (or to the journal under systemd). Without \
            --config it uses embedded defaults: socket var/doorstep.sock and state in var/state \
            under the working directory. Talk to it with doorstepctl; see docs/protocol.md.
            """)

    @Option(name: .long, help: ArgumentHelp("TOML config file (see config/doorstep.toml).", valueName: "FILE"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Control socket path (overrides [daemon] socket).", valueName: "PATH"))
    var socket: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("State directory (overrides [daemon] state_dir).", valueName: "DIR"))
    var stateDir: String?

    @Flag(name: .customLong("check-config"), help: "Validate the config and exit: 0 if valid, else print FILE:LINE:COL: message and exit 1.")
    var checkConfig = false

    @Flag(name: .long, help: "Offline: keep every valid journal record and snapshot of the state directory, move damaged bytes aside to FILE.broken, report, and exit.")
    var repair = false

    @Option(name: .long, help: ArgumentHelp("Offline: restore a backup (a state.backup directory or streamed file) into the (empty) state directory, and exit.", valueName: "FILE_OR_DIR"))
    var restore: String?

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
            print("doorstepd \(DoorstepVersion.release) (protocol \(DoorstepVersion.proto))")
            return
        }
        let options = DaemonLauncher.Options(
            configFile: config, overrides: .init(socket: socket, stateDir: stateDir),
            logLevel: Logger.Level(rawValue: logLevel) ?? .info)
        if checkConfig {
            if let problem = DaemonLauncher.checkConfig(options, registry: builtInPlugins) {
                FileOutput.standardError(problem + "\n")
                throw ExitCode(1)
            }
            print("config OK: \(config ?? "(embedded defaults)")")
            return
        }
        if repair || restore != nil {
            guard let dir = DaemonLauncher.stateDirectory(options, registry: builtInPlugins) else { throw ExitCode(1) }
            do {
                if let restore {
                    print(try StateRepair.restore(from: restore, into: dir))
                } else {
                    let report = try StateRepair.repair(stateDir: dir)
                    print(report.isEmpty ? "repair: \(dir) is sound; nothing dropped" : report.joined(separator: "\n"))
                }
            } catch {
                FileOutput.standardError("doorstepd: \(repair ? "repair" : "restore") failed: \(error)\n")
                throw ExitCode(1)
            }
            return
        }
        LogOutput.bootstrap(level: options.logLevel)
        let status = await DaemonLauncher.run(options, registry: builtInPlugins)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Writes to stderr without the non-Sendable global.
enum FileOutput {
    static func standardError(_ text: String) {
        _ = text.withCString { write(2, $0, strlen($0)) }
    }
}
