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
    /// Under a real systemd (``SystemdUnit``): the daemon's transient unit.
    let unit: String?
    /// Under a real systemd: the main PID once the unit is active.
    private var mainPID: Int32 = 0

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
        if SystemdUnit.enabled {
            let unit = SystemdUnit.newUnitName()
            self.unit = unit
            SystemdUnit.handOver()
            let run = SystemdUnit.run(unit: unit, stderr: dir.file("stderr.log"), environment: environment, command: command)
            process = try ChildProcess(run[0], Array(run.dropFirst()), stdout: dir.file("systemd-run.log"),
                                       stderr: dir.file("systemd-run.log"))
            if waitReady {
                guard waitActive(unit) else {
                    stop()
                    throw LineClient.Failure(description: "doorstepd did not become active as \(unit): \(stderr)")
                }
            }
            return
        }
        unit = nil
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

    var pid: Int32 {
        guard let unit else { return process.pid }
        if mainPID == 0 { mainPID = Int32(SystemdUnit.show(unit, "MainPID")) ?? 0 }
        return mainPID
    }

    /// Under a real systemd: waits until the unit is active (READY=1 reached systemd), then
    /// gives the socket the config's `socket_group` as doorstep.socket's SocketGroup= would.
    private func waitActive(_ unit: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, process.isRunning {
            if SystemdUnit.show(unit, "ActiveState") == "active" {
                mainPID = Int32(SystemdUnit.show(unit, "MainPID")) ?? 0
                if let group = Self.socketGroup(in: (try? String(contentsOfFile: configPath, encoding: .utf8)) ?? ""),
                    let entry = getgrnam(group)
                {
                    chown(socket, uid_t(bitPattern: -1), entry.pointee.gr_gid)
                }
                return true
            }
            usleep(20_000)
        }
        return false
    }

    /// Waits for `READY=1` of a daemon started with `waitReady: false` (under a real systemd:
    /// for its unit to become active); false on timeout or when it exited first.
    func waitReady(timeout: Double) -> Bool {
        if let unit { return waitActive(unit, timeout: timeout) }
        return notify.wait(timeout: timeout, { $0.contains("READY=1") }) != nil
    }

    /// Under a real systemd, `socket_group` is kept out of the daemon's config (the sandbox
    /// forbids chown; systemd's socket unit sets the group in production) and written here as
    /// a comment the harness reads back.
    static let socketGroupMark = "# harness: socket_group = "

    static func socketGroup(in config: String) -> String? {
        guard let line = config.split(separator: "\n").first(where: { $0.hasPrefix(socketGroupMark) }) else { return nil }
        return String(line.dropFirst(socketGroupMark.count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
    var stderr: String { (try? String(contentsOfFile: dir.file("stderr.log"), encoding: .utf8)) ?? "" }

    func client() throws -> LineClient { try LineClient(socket: socket) }

    /// Rewrites the config file (keeping socket and state dir).
    func rewriteConfig(_ config: String) {
        dir.write("doorstep.toml", Self.compose(config, socket: socket, state: dir.file("state")))
    }

    /// The test's config with the socket and state directory added unless it sets them.
    static func compose(_ config: String, socket: String, state: String) -> String {
        var keys = daemonKeys(config)
        if SystemdUnit.enabled {
            keys = keys.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                let text = line.trimmingCharacters(in: .whitespaces)
                guard text.hasPrefix("socket_group"), let eq = text.firstIndex(of: "=") else { return String(line) }
                return socketGroupMark + text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            }.joined(separator: "\n")
        }
        var head = "[daemon]\nsocket = \"\(socket)\"\n"
        if !keys.contains("state_dir") { head += "state_dir = \"\(state)\"\n" }
        return head + keys + otherSections(config)
    }

    /// Signals the daemon; under a launcher that stays its parent (strace), the daemon itself
    /// is signalled, since strace detaches from its tracee when it is killed.
    func signal(_ sig: Int32) {
        if unit != nil {
            if pid > 0 { kill(pid, sig) }
            return
        }
        _ = try? Self.run("/usr/bin/pkill", ["-\(sig)", "-P", "\(pid)"])
        kill(pid, sig)
    }

    /// Waits for the process to exit; returns its status, or nil on timeout.
    func waitExit(timeout: Double = 20) -> Int32? {
        guard let status = process.wait(timeout: timeout) else { return nil }
        guard let unit else { return status }
        let output = (try? String(contentsOfFile: dir.file("systemd-run.log"), encoding: .utf8)) ?? ""
        let exit = SystemdUnit.exitStatus(unit: unit, output: output) ?? status
        // A failed unit stays loaded until reset (tests that kill -9 may never call stop()).
        SystemdUnit.clean(unit)
        return exit
    }

    /// Runs doorstepctl against this daemon.
    func ctl(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, out: String, err: String) {
        try Self.run(Binaries.doorstepctl, ["--socket", socket] + arguments, stdin: stdin, environment: Self.englishEnvironment)
    }

    /// The test's environment in an English locale: doorstepctl asks for Chinese replies when
    /// `LANG` is zh_CN, and the tests read English ones unless they ask (`hello lang=zh-CN`).
    static let englishEnvironment: [String: String] = ProcessInfo.processInfo.environment
        .merging(["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "LC_MESSAGES": "C.UTF-8"]) { $1 }

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
        if let unit { SystemdUnit.clean(unit) }
        notify.close()
        dir.remove()
    }

    deinit {
        if process?.isRunning == true { signal(SIGKILL) }
        if let unit, let process {
            _ = process.wait(timeout: 5)
            SystemdUnit.clean(unit)
        }
    }
}

extension DaemonProcess {
    /// Every thread's stack of the daemon (gdb), for a failure message when it stops answering.
    func stacks() -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") else { return "(no gdb to show the daemon's stacks)" }
        let r = try? Self.run("/usr/bin/gdb", ["-p", "\(pid)", "-batch", "-ex", "thread apply all bt"])
        return r?.out ?? "(gdb failed)"
    }
}
