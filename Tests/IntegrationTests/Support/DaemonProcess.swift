import Foundation

/// A real `doorstepd` started for one test, in its own temporary directory, with the probe
/// plugin enabled, a notification socket, and its stderr captured.
final class DaemonProcess {
    static let probeConfig = "[plugins.probe]\nenabled = true\n"

    let dir: TempDirectory
    let socket: String
    let notify: NotifyListener
    private(set) var process: ChildProcess!
    let configPath: String

    /// Starts the daemon and waits for `READY=1`.
    ///
    /// - Parameters:
    ///   - config: TOML written to the config file (the socket and state dir are added).
    ///   - environment: extra environment (e.g. `WATCHDOG_USEC`).
    ///   - launcher: a command to start the daemon through (e.g. `systemd-socket-activate`).
    init(config: String = DaemonProcess.probeConfig, environment: [String: String] = [:], arguments: [String] = [],
         launcher: [String] = [], waitReady: Bool = true) throws {
        dir = TempDirectory()
        socket = dir.file("d.sock")
        configPath = dir.file("doorstep.toml")
        dir.write("doorstep.toml", Self.compose(config, socket: socket, state: dir.file("state")))
        notify = NotifyListener(path: dir.file("notify.sock"))
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        env.removeValue(forKey: "JOURNAL_STREAM")
        env.removeValue(forKey: "LISTEN_FDS")
        env.removeValue(forKey: "DOORSTEP_SOCKET")
        for (k, v) in environment { env[k] = v }
        let args = ["--config", configPath] + arguments
        let command = launcher.isEmpty ? [Binaries.doorstepd] + args : launcher + [Binaries.doorstepd] + args
        process = try ChildProcess(command[0], Array(command.dropFirst()), environment: env, stderr: dir.file("stderr.log"))
        if waitReady {
            guard notify.wait(timeout: 20, { $0.contains("READY=1") }) != nil else {
                stop()
                throw LineClient.Failure(description: "doorstepd did not become ready: \(stderr)")
            }
        }
    }

    /// `[daemon]` keys of a test config go into the daemon section written above.
    private static func daemonKeys(_ config: String) -> String {
        guard let range = config.range(of: "[daemon]\n") else { return "" }
        let rest = config[range.upperBound...]
        let end = rest.range(of: "\n[")?.lowerBound ?? rest.endIndex
        return String(rest[..<end]) + "\n"
    }

    private static func otherSections(_ config: String) -> String {
        guard let range = config.range(of: "[daemon]\n") else { return config }
        let rest = config[range.upperBound...]
        guard let next = rest.range(of: "\n[") else { return String(config[..<range.lowerBound]) }
        return String(config[..<range.lowerBound]) + String(rest[next.lowerBound...])
    }

    var pid: Int32 { process.pid }
    var stderr: String { (try? String(contentsOfFile: dir.file("stderr.log"), encoding: .utf8)) ?? "" }

    func client() throws -> LineClient { try LineClient(socket: socket) }

    /// Rewrites the config file (keeping socket and state dir).
    func rewriteConfig(_ config: String) {
        dir.write("doorstep.toml", Self.compose(config, socket: socket, state: dir.file("state")))
    }

    /// The test's config with the socket and state directory added unless it sets them.
    static func compose(_ config: String, socket: String, state: String) -> String {
        let keys = daemonKeys(config)
        var head = "[daemon]\nsocket = \"\(socket)\"\n"
        if !keys.contains("state_dir") { head += "state_dir = \"\(state)\"\n" }
        return head + keys + otherSections(config)
    }

    /// Signals the daemon; under a launcher that stays its parent (strace), the daemon itself
    /// is signalled, since strace detaches from its tracee when it is killed.
    func signal(_ sig: Int32) {
        _ = try? Self.run("/usr/bin/pkill", ["-\(sig)", "-P", "\(pid)"])
        kill(pid, sig)
    }

    /// Waits for the process to exit; returns its status, or nil on timeout.
    func waitExit(timeout: Double = 20) -> Int32? { process.wait(timeout: timeout) }

    /// Runs doorstepctl against this daemon.
    func ctl(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, out: String, err: String) {
        try Self.run(Binaries.doorstepctl, ["--socket", socket] + arguments, stdin: stdin)
    }

    /// Runs a command; returns exit status, stdout and stderr.
    static func run(_ path: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) throws
        -> (status: Int32, out: String, err: String)
    {
        let scratch = TempDirectory()
        defer { scratch.remove() }
        scratch.write("in", stdin ?? "")
        let child = try ChildProcess(path, arguments, environment: environment, stdin: scratch.file("in"),
                                     stdout: scratch.file("out"), stderr: scratch.file("err"))
        let status = child.wait(timeout: 300) ?? -1
        let out = (try? String(contentsOfFile: scratch.file("out"), encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: scratch.file("err"), encoding: .utf8)) ?? ""
        return (status, out, err)
    }

    /// Stops the daemon (SIGKILL if SIGTERM is not enough) and removes its directory.
    func stop() {
        if process.isRunning {
            signal(SIGTERM)
            if waitExit(timeout: 15) == nil { signal(SIGKILL); _ = waitExit(timeout: 5) }
        }
        notify.close()
        dir.remove()
    }

    deinit { if process?.isRunning == true { kill(pid, SIGKILL) } }
}

extension DaemonProcess {
    /// Every thread's stack of the daemon (gdb), for a failure message when it stops answering.
    func stacks() -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") else { return "(no gdb to show the daemon's stacks)" }
        let r = try? Self.run("/usr/bin/gdb", ["-p", "\(pid)", "-batch", "-ex", "thread apply all bt"])
        return r?.out ?? "(gdb failed)"
    }
}
