import Foundation
import ArgumentParser

/// Starting programs without a shell, so the timing is the program's own.
enum Spawn {
    /// Starts `argv` with stdin, stdout and stderr opened on the given paths; returns its pid.
    static func start(_ argv: [String], stdin: String = "/dev/null", stdout: String = "/dev/null",
                      stderr: String = "/dev/null", appendOutput: Bool = false) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let outFlags = O_WRONLY | O_CREAT | (appendOutput ? O_APPEND : O_TRUNC)
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, outFlags, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, outFlags, 0o644)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ)
        guard rc == 0 else { throw BenchError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Waits for `pid` and returns its exit status (128+N for a signal).
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Whether `pid` (a child) has exited, without waiting.
    static func exited(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? status : nil
    }
}

struct SpawnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spawn",
        abstract: "Run a program many times and print the median and p99 of its wall time.")

    @Option(help: "Runs to time (after one untimed run that must exit 0 and print something).") var runs = 200
    @Option(help: "File for the program's stdin.") var stdin = "/dev/null"
    @Flag(inversion: .prefixedNo, help: "Start with one untimed run that must print something.") var check = true
    @Option(help: "Items the program handles per run, to report items per second.") var items: Double?
    @OptionGroup var measurement: MeasurementOptions
    @Argument(parsing: .postTerminator, help: "The program and its arguments, after --.") var argv: [String]

    func run() throws {
        guard !argv.isEmpty else { throw ValidationError("give the program after --") }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-bench-spawn-\(getpid())").path
        defer { unlink(probe) }
        if check {
            let status = Spawn.wait(try Spawn.start(argv, stdin: stdin, stdout: probe, stderr: probe))
            let output = (try? String(contentsOfFile: probe, encoding: .utf8)) ?? ""
            guard status == 0, !output.isEmpty else {
                throw BenchError("\(argv.joined(separator: " ")) exited \(status) printing '\(output.prefix(200))'")
            }
        }
        var times: [Double] = []
        for _ in 0..<runs {
            let t0 = monotonicNanos()
            let code = Spawn.wait(try Spawn.start(argv, stdin: stdin, stdout: check ? "/dev/null" : probe,
                                                  stderr: check ? "/dev/null" : probe))
            times.append(Double(monotonicNanos() - t0) / 1000)
            guard code == 0 else {
                let output = (try? String(contentsOfFile: probe, encoding: .utf8)) ?? ""
                throw BenchError("\(argv[0]) exited \(code): \(output.prefix(300))")
            }
        }
        times.sort()
        let p50 = Stats.percentile(times, 0.5), p99 = Stats.percentile(times, 0.99)
        print(String(format: "%@ %@ runs=%d p50_us=%.0f p99_us=%.0f", measurement.row, measurement.system, runs, p50, p99))
        var figures = ["p50_us": p50, "p99_us": p99, "runs": Double(runs)]
        if let items {
            figures["items"] = items
            figures["items_per_second"] = items / (p50 / 1e6)
        }
        try measurement.record(figures)
    }
}

struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start the daemon in the background, time it until `ping` is answered, and print its pid.",
        discussion: "Prints the pid on stdout; the figures (ready_ms, rss_mib, peak_rss_mib) go to --out.")

    @Option(help: "The daemon's control socket.") var socket: String
    @Option(help: "Append the daemon's output to this file.") var log = "/dev/null"
    @Option(help: "Give up after this many seconds.") var timeout = 600.0
    @OptionGroup var measurement: MeasurementOptions
    @Argument(parsing: .postTerminator, help: "The daemon and its arguments, after --.") var argv: [String]

    func run() throws {
        guard !argv.isEmpty else { throw ValidationError("give the daemon after --") }
        let t0 = monotonicNanos()
        let pid = try Spawn.start(argv, stdout: log, stderr: log, appendOutput: true)
        while !Self.answersPing(socket) {
            if Spawn.exited(pid) != nil { throw BenchError("\(argv[0]) exited before answering; see \(log)") }
            if Double(monotonicNanos() - t0) / 1e9 > timeout {
                kill(pid, SIGKILL)
                throw BenchError("\(argv[0]) did not answer within \(timeout) s")
            }
            usleep(1000)
        }
        let readyMillis = Double(monotonicNanos() - t0) / 1e6
        let rss = ProcStatus.kib(pid, "VmRSS"), peak = ProcStatus.kib(pid, "VmHWM")
        if measurement.out != nil { FileHandle.standardError.write(Data(String(format: "%@ ready_ms=%.0f rss_mib=%.1f peak_rss_mib=%.1f\n",
                                                   measurement.row, readyMillis, rss / 1024, peak / 1024).utf8)) }
        try measurement.record(["ready_ms": readyMillis, "rss_mib": rss / 1024, "peak_rss_mib": peak / 1024])
        print(pid)
    }

    static func answersPing(_ path: String) -> Bool {
        guard let fd = try? connectUnix(path) else { return false }
        defer { close(fd) }
        let request = Array("ping\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return false }
        var reply = [UInt8](repeating: 0, count: 512)
        let n = recv(fd, &reply, reply.count, 0)
        return n >= 4 && reply[0] == UInt8(ascii: "2")
    }
}

/// Figures from /proc/PID/status.
enum ProcStatus {
    /// A `kB` field of /proc/PID/status (VmRSS, VmHWM), in KiB; 0 if unreadable.
    static func kib(_ pid: pid_t, _ field: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}

enum Stats {
    /// The value at fraction `p` of sorted `values` (nearest rank).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((Double(sorted.count) * p).rounded(.up)) - 1
        return sorted[max(0, min(sorted.count - 1, rank))]
    }
}
