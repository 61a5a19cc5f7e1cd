import Foundation

/// A child process started with posix_spawn and reaped with waitpid.
///
/// Foundation's `Process` loses exit notifications when many children run at once (tests run
/// in parallel), leaving `waitUntilExit()` hanging on a zombie; this does not.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// Starts `path` with `arguments`; stdin, stdout and stderr are files (or /dev/null).
    init(_ path: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String = "/dev/null",
         stdout: String = "/dev/null", stderr: String = "/dev/null") throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        // Nothing else of the test process: tests run in parallel, and a daemon that inherited
        // another test's connection would keep it open after that test closed it.
        // (glibc ≥ 2.34 has it; Swift's Glibc module does not declare it.)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard rc == 0 else { throw LineClient.Failure(description: "posix_spawn \(path): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    /// The exit status (128 + signal for a killed process), or nil while it runs.
    var status: Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var st: Int32 = 0
        guard waitpid(pid, &st, WNOHANG) == pid else { return nil }
        exitStatus = st & 0x7F == 0 ? (st >> 8) & 0xFF : 128 + (st & 0x7F)
        return exitStatus
    }

    var isRunning: Bool { status == nil }

    /// Waits for the exit; nil on timeout.
    func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = status { return s }
            usleep(5_000)
        }
        return status
    }
}
