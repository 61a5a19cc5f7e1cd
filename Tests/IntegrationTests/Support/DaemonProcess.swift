import Foundation

/// A real `doorstepd` started for one test, in its own temporary directory, with the probe
/// plugin enabled, a notification socket, and its stderr captured.
final class DaemonProcess {
    static let probeConfig = "[plugins.probe]\nenabled = true\n"

    let dir: TempDirectory
    let socket: String
    let notify: NotifyListener
    let process = Process()
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
        dir.write("doorstep.toml", "[daemon]\nsocket = \"\(socket)\"\nstate_dir = \"\(dir.file("state"))\"\n" + Self.daemonKeys(config)
            + Self.otherSections(config))
        notify = NotifyListener(path: dir.file("notify.sock"))
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        env.removeValue(forKey: "JOURNAL_STREAM")
        env.removeValue(forKey: "LISTEN_FDS")
        env.removeValue(forKey: "DOORSTEP_SOCKET")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let args = ["--config", configPath] + arguments
        if launcher.isEmpty {
            process.executableURL = URL(fileURLWithPath: Binaries.doorstepd)
            process.arguments = args
        } else {
            process.executableURL = URL(fileURLWithPath: launcher[0])
            process.arguments = Array(launcher.dropFirst()) + [Binaries.doorstepd] + args
        }
        FileManager.default.createFile(atPath: dir.file("stderr.log"), contents: nil)
        process.standardError = FileHandle(forWritingAtPath: dir.file("stderr.log"))
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
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

    var pid: Int32 { process.processIdentifier }
    var stderr: String { (try? String(contentsOfFile: dir.file("stderr.log"), encoding: .utf8)) ?? "" }

    func client() throws -> LineClient { try LineClient(socket: socket) }

    /// Rewrites the config file (keeping socket and state dir).
    func rewriteConfig(_ config: String) {
        dir.write("doorstep.toml", "[daemon]\nsocket = \"\(socket)\"\nstate_dir = \"\(dir.file("state"))\"\n" + Self.daemonKeys(config)
            + Self.otherSections(config))
    }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for the process to exit; returns its status, or nil on timeout.
    func waitExit(timeout: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Runs doorstepctl against this daemon.
    func ctl(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, out: String, err: String) {
        try Self.run(Binaries.doorstepctl, ["--socket", socket] + arguments, stdin: stdin)
    }

    /// Runs a command; returns exit status, stdout and stderr.
    static func run(_ path: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) throws
        -> (status: Int32, out: String, err: String)
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Stops the daemon (SIGKILL if SIGTERM is not enough) and removes its directory.
    func stop() {
        if process.isRunning {
            kill(pid, SIGTERM)
            if waitExit(timeout: 15) == nil { kill(pid, SIGKILL); _ = waitExit(timeout: 5) }
        }
        notify.close()
        dir.remove()
    }

    deinit { if process.isRunning { kill(pid, SIGKILL) } }
}
