import Foundation

/// Tools the terminal tests need (tmux, zsh, fish, bash): found on PATH, else installed with
/// `scripts/install-deps.sh` (Debian packages, as `make test` does) and looked for again.
enum Tools {
    static func path(_ name: String) -> String? {
        for dir in ["/usr/bin", "/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return nil
    }

    private static let installLock = NSLock()

    /// The tool's path, installing the Debian packages of install-deps.sh if it is missing.
    static func require(_ name: String) throws -> String {
        if let found = path(name) { return found }
        installLock.lock()
        defer { installLock.unlock() }
        if let found = path(name) { return found }
        _ = try DaemonProcess.run("/bin/bash", [Binaries.repositoryRoot + "/scripts/install-deps.sh"])
        guard let found = path(name) else {
            throw LineClient.Failure(description: "\(name) is not installed and scripts/install-deps.sh could not install it")
        }
        return found
    }
}

/// A program running in a terminal: a detached tmux session on a private server, driven with
/// send-keys and read with capture-pane, as a person at a real terminal would use it.
final class TmuxTerminal {
    let tmux: String
    let socket: String
    private let dir: TempDirectory

    /// Starts `command` (argv) with `environment` in a `width`×`height` terminal.
    init(_ command: [String], environment: [String: String] = [:], width: Int = 120, height: Int = 40) throws {
        tmux = try Tools.require("tmux")
        dir = TempDirectory()
        socket = dir.file("tmux.sock")
        dir.write("tmux.conf", "set -g default-terminal screen\nset -g history-limit 5000\n")
        // The program keeps running after it exits (to read its last screen): `; sleep`.
        let env = environment.map { "\($0.key)=\(Self.shellQuote($0.value))" }.sorted().joined(separator: " ")
        let line = "env \(env) \(command.map(Self.shellQuote).joined(separator: " ")); echo '[exited '$?']'; sleep 600"
        let r = try run(["-f", dir.file("tmux.conf"), "new-session", "-d", "-s", "t", "-x", "\(width)", "-y", "\(height)", line])
        guard r.status == 0 else { throw LineClient.Failure(description: "tmux new-session: \(r.err)") }
    }

    deinit { close() }

    private var closed = false

    func close() {
        guard !closed else { return }
        closed = true
        _ = try? run(["kill-server"])
        dir.remove()
    }

    /// Types `text` literally.
    func type(_ text: String) throws { _ = try run(["send-keys", "-t", "t", "-l", text]) }

    /// Presses keys by tmux name: `Enter`, `Tab`, `Up`, `C-c`, `C-d`.
    func press(_ keys: String...) throws { _ = try run(["send-keys", "-t", "t"] + keys) }

    /// The visible screen, trailing blank lines dropped (with `escapes`, its colour sequences).
    func screen(escapes: Bool = false) -> String {
        let r = try? run(["capture-pane", "-p", "-t", "t", "-S", "-200"] + (escapes ? ["-e"] : []))
        var lines = (r?.out ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    /// The screen's lines, trailing spaces cut.
    var lines: [String] {
        screen().split(separator: "\n", omittingEmptySubsequences: false).map { String($0).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
    }

    /// Waits until the screen satisfies `condition`; returns the screen (or nil on timeout).
    @discardableResult
    func wait(timeout: Double = 10, for condition: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let s = screen()
            if condition(s) { return s }
            usleep(50_000)
        }
        return nil
    }

    /// The last line of the screen (where the prompt and what is typed are), trailing spaces kept.
    var lastLine: String {
        screen().split(separator: "\n", omittingEmptySubsequences: false).last.map(String.init) ?? ""
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try DaemonProcess.run(tmux, ["-S", socket] + arguments, environment: ["PATH": "/usr/bin:/bin", "TERM": "xterm", "HOME": dir.path])
    }

    static func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
