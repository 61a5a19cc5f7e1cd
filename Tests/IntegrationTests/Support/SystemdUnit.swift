import Foundation
import Synchronization

/// The integration suite under a real systemd (Tests/system/run.sh, inside the container):
/// with `DOORSTEP_TEST_UNIT` naming the installed `doorstep.service`, every daemon a test
/// starts is a transient service started by `systemd-run`, with that unit's user (`doorstep`)
/// and every line of its sandbox, so the suite's protocol checks run under the sandbox the
/// package ships.
///
/// What differs from the packaged unit, and why:
/// - The daemon is started with the test's own command line and config (not ExecStart=), as
///   `Type=notify`, without `Restart=` (tests kill it and expect it to stay dead) and without
///   `ExecReload=` (tests send SIGHUP themselves).
/// - Its writable directory is `StateDirectory=doorstep-it` (/var/lib/doorstep-it, mode 0755 so
///   that the user nobody of the access tests can reach sockets inside), where the tests' temporary
///   directories are made (`DOORSTEP_TEST_TMPDIR`), instead of `doorstep`; no
///   `RuntimeDirectory=` or `ConfigurationDirectory=` (the packaged daemon's, shared).
/// - Its standard error goes to the test's `stderr.log` file (`StandardError=append:`), as the
///   tests read it, so its logs are plain lines there rather than in the journal.
/// - `socket_group` is taken out of the test's config and the harness (root, outside the
///   sandbox) gives the socket that group once the daemon serves it: under the packaged unit
///   systemd does this (`SocketGroup=` of doorstep.socket), and the sandbox forbids `chown`.
/// The test process runs as root; it hands the directories it makes to user doorstep before
/// each start (`chown -R`), as the daemon writes its state, and hooks their files, there.
enum SystemdUnit {
    /// The unit file whose `[Service]` settings are copied, or nil when not under systemd.
    static let template: String? = ProcessInfo.processInfo.environment["DOORSTEP_TEST_UNIT"]
    static var enabled: Bool { template != nil }
    /// Why a test is left out under the packaged sandbox (for `.disabled(if:)`).
    static let standIns = "under a real systemd (Tests/system) the real service manager replaces these stand-ins"

    /// Settings of the packaged unit that are not copied (see above).
    static let notCopied: Set<String> = [
        "ExecStart", "ExecReload", "Restart", "Type", "StateDirectory", "StateDirectoryMode", "RuntimeDirectory",
        "RuntimeDirectoryMode", "ConfigurationDirectory", "ConfigurationDirectoryMode", "WorkingDirectory",
    ]

    /// `-p KEY=VALUE` for every other line of the `[Service]` section, in order.
    static let properties: [String] = {
        guard let template, let text = try? String(contentsOfFile: template, encoding: .utf8) else { return [] }
        var inService = false
        var out: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") { inService = line == "[Service]"; continue }
            guard inService, !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            guard !notCopied.contains(String(line[..<eq])) else { continue }
            out += ["-p", line]
        }
        return out
    }()

    static let directory = "/var/lib/doorstep-it"
    private static let counter = Atomic<Int>(0)

    /// A new unit name for one daemon.
    static func newUnitName() -> String {
        "doorstep-it-\(getpid())-\(counter.add(1, ordering: .relaxed).newValue)"
    }

    /// The `systemd-run` command line that starts `command` as unit `unit` and waits for its end.
    static func run(unit: String, stderr: String, environment: [String: String], command: [String]) -> [String] {
        var line = ["/usr/bin/systemd-run", "--unit=\(unit)", "--wait", "--service-type=notify"] + properties
        line += ["-p", "StateDirectory=doorstep-it", "-p", "StateDirectoryMode=0755", "-p", "WorkingDirectory=\(directory)",
                 "-p", "StandardOutput=null", "-p", "StandardError=append:\(stderr)", "-p", "Restart=no"]
        for (k, v) in environment.sorted(by: { $0.key < $1.key }) { line += ["--setenv=\(k)=\(v)"] }
        return line + ["--"] + command
    }

    /// Gives user doorstep the test directories (the daemon writes its state, hooks their output there).
    static func handOver() {
        // Only what root made: a socket another test gave its group (socket_group) keeps it.
        _ = try? DaemonProcess.run("/bin/chown", ["-R", "--from=root", "doorstep:doorstep", directory])
    }

    /// `systemctl show -p NAME --value UNIT`.
    static func show(_ unit: String, _ name: String) -> String {
        ((try? DaemonProcess.run("/usr/bin/systemctl", ["show", "-p", name, "--value", unit]).out) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The exit status as `ChildProcess` reports it (128 + signal when killed), from what
    /// `systemd-run --wait` printed, else from the failed unit; nil if unknown.
    static func exitStatus(unit: String, output: String) -> Int32? {
        if let line = output.split(separator: "\n").first(where: { $0.contains("Main processes terminated with: code=") }) {
            let detail = line[line.range(of: "code=")!.upperBound...]
            let parts = detail.split(separator: "/", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let value = String(parts[1].dropFirst("status=".count)).split(separator: "/").first.map(String.init) ?? ""
            if parts[0] == "exited" { return Int32(value) ?? (value == "FAILURE" ? 1 : nil) }
            return signalNumber(value).map { 128 + $0 }
        }
        let code = show(unit, "ExecMainCode"), status = Int32(show(unit, "ExecMainStatus"))
        guard let status else { return nil }
        return code == "1" ? status : 128 + status
    }

    static func signalNumber(_ name: String) -> Int32? {
        let names: [String: Int32] = ["HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8,
                                      "KILL": 9, "SEGV": 11, "PIPE": 13, "ALRM": 14, "TERM": 15, "SYS": 31]
        return names[name] ?? Int32(name)
    }

    /// Removes the unit if it is still loaded (failed, or running after a test gave up on it).
    static func clean(_ unit: String) {
        _ = try? DaemonProcess.run("/usr/bin/systemctl", ["stop", unit])
        _ = try? DaemonProcess.run("/usr/bin/systemctl", ["reset-failed", unit])
    }
}
