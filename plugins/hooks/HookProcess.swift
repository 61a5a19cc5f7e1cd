import Glibc
import PluginAPI
import PluginSupport
import Subprocess
import Synchronization

import SystemPackage

/// Runs one hook command (the I/O edge of the hooks service), through swift-subprocess: argv
/// without a shell, the event as one JSON line on standard input, standard output and error
/// together of which the first lines are kept, killed with its whole process group at the
/// timeout or when the daemon stops.
enum HookProcess {
    struct Outcome: Sendable, Equatable {
        var exit: Int?
        var signal: Int?
        var timedOut = false
        /// Why it could not start.
        var error: String?
        /// Whether trying again cannot help (the event lacks a placeholder's field).
        var permanent = false
        /// The first lines of its output.
        var output: [String] = []
        /// The first line of its output, up to ``capturedBytes`` (for `capture = true`).
        var firstLine: String?
        var ms = 0

        var succeeded: Bool { exit == 0 && !timedOut && error == nil }

        var outcome: String {
            if error != nil { return "error" }
            if timedOut { return "timeout" }
            return exit == 0 ? "ok" : "failed"
        }
    }

    /// Output kept per attempt; the rest is read and dropped, so a chatty hook never blocks.
    static let outputLines = 5
    static let outputBytes = 4_096

    /// The only environment a hook gets: nothing of the daemon's (no NOTIFY_SOCKET, no
    /// LISTEN_FDS), a fixed PATH and UTF-8.
    static func environment(hook: String, event: HookEvent) -> Environment {
        .custom([
            "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "DOORSTEP_HOOK": hook,
            "DOORSTEP_EVENT": event.name, "DOORSTEP_SEQ": String(event.seq),
            // The community's zone, so `date` in a script prints the same local time as doorstepctl.
            "TZ": CommunityZone.current.identifier,
        ])
    }

    static func run(_ argv: [String], stdin: String, environment: Environment, timeout: Duration, as identity: HookSpec.Identity?)
        async -> Outcome
    {
        var options = PlatformOptions()
        if let identity {
            options.userID = identity.uid
            options.groupID = identity.gid
            options.supplementaryGroups = identity.groups
        }
        // Its own session and process group: a script's children die with it at the timeout.
        options.createSession = true
        let start = ContinuousClock.now
        let deadline = start + timeout
        /// How a child of the body ended.
        enum Ended: Sendable {
            case output([UInt8])
            case killed
        }
        var outcome = Outcome()
        // The event goes in through a pipe filled before the start, not through Subprocess's
        // input writer: with 1.0.2 a hook that exits without reading its input trapped in the
        // writer's clean-up (a descriptor it had not closed), and took the daemon with it.
        let input: FileDescriptor
        switch filledPipe(stdin) {
        case .success(let fd): input = fd
        case .failure(let why): return Outcome(error: why.message)
        }
        // Closed here whatever happens (Subprocess may fail before it takes the descriptor).
        defer { try? input.close() }
        do {
            let result = try await Subprocess.run(
                .path(FilePath(argv[0])), arguments: Arguments(Array(argv.dropFirst())), environment: environment,
                platformOptions: options, input: .fileDescriptor(input, closeAfterSpawningProcess: false), output: .sequence,
                error: .combinedWithOutput
            ) { execution in
                let pid = execution.processIdentifier.value
                return try await withThrowingTaskGroup(of: Ended.self) { group in
                    group.addTask {
                        var head: [UInt8] = []
                        for try await chunk in execution.standardOutput {
                            guard head.count < outputBytes else { continue }
                            chunk.withUnsafeBytes { raw in head += raw.prefix(outputBytes - head.count) }
                        }
                        return .output(head)
                    }
                    group.addTask {
                        // The timeout, or the daemon stopping (cancellation): end the group.
                        try? await Task.sleep(until: deadline)
                        try? execution.send(signal: .kill, toProcessGroup: true)
                        return .killed
                    }
                    var head: [UInt8] = []
                    var timedOut = false
                    while let next = try await group.next() {
                        switch next {
                        case .output(let bytes):
                            head = bytes
                            // Output closed: the command may still be finishing. It is done
                            // when it exits (or at the deadline); what is left of its process
                            // group is killed then (the timer, cancelled, kills it now).
                            while !hasExited(pid), ContinuousClock.now < deadline, !Task.isCancelled {
                                try? await Task.sleep(for: .milliseconds(5))
                            }
                            timedOut = timedOut || (!hasExited(pid) && !Task.isCancelled)
                            group.cancelAll()
                        case .killed:
                            timedOut = timedOut || (ContinuousClock.now >= deadline && !Task.isCancelled)
                        }
                    }
                    return (head, timedOut)
                }
            }
            outcome.timedOut = result.closureResult.1
            outcome.output = lines(result.closureResult.0)
            outcome.firstLine = firstLine(result.closureResult.0)
            switch result.terminationStatus {
            case .exited(let code):
                outcome.exit = Int(code)
                // It exited by itself: late as this may have been seen (a busy machine), it
                // was not killed, so it did not time out.
                outcome.timedOut = false
            case .signaled(let sig): outcome.signal = Int(sig)
            }
        } catch {
            outcome.error = "cannot run \(argv[0]): \(error)"
        }
        let elapsed = ContinuousClock.now - start
        outcome.ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return outcome
    }

    /// Whether process `pid` has ended (a zombie not yet reaped, or gone).
    static func hasExited(_ pid: pid_t) -> Bool {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return true }
        // "PID (COMM) STATE …": the state follows the last ')'.
        guard let paren = buffer[..<n].lastIndex(of: UInt8(ascii: ")")), paren + 2 < n else { return false }
        let state = buffer[paren + 2]
        return state == UInt8(ascii: "Z") || state == UInt8(ascii: "X")
    }

    /// `F_SETPIPE_SZ` (Linux), which Swift's Glibc module does not declare.
    static let setPipeSize: Int32 = 1031

    struct PipeFailure: Error {
        let message: String
    }

    /// A pipe holding `text` with its write end closed: the read end, for the hook's stdin.
    /// The pipe is grown to hold the line (up to 1 MiB, the kernel's default limit for
    /// unprivileged pipes), so writing it never blocks.
    static func filledPipe(_ text: String) -> Result<FileDescriptor, PipeFailure> {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return .failure(PipeFailure(message: "cannot make a pipe: \(String(cString: strerror(errno)))")) }
        defer { close(fds[1]) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let bytes = Array(text.utf8)
        if bytes.count > 65_536, fcntl(fds[1], Self.setPipeSize, Int32(min(bytes.count, 1 << 20))) < bytes.count {
            close(fds[0])
            return .failure(PipeFailure(message: "the event is \(bytes.count) bytes as JSON, more than a hook's standard input takes (1 MiB)"))
        }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                close(fds[0])
                return .failure(PipeFailure(message: "cannot write the event to the hook's input: \(String(cString: strerror(errno)))"))
            }
            written += n
        }
        return .success(FileDescriptor(rawValue: fds[0]))
    }

    /// What a capturing hook's events carry of its output: the first line, at most this many bytes.
    static let capturedBytes = 1_024

    /// The first non-empty line of `bytes` without its line end and surrounding blanks, cut to
    /// ``capturedBytes`` at a character boundary (invalid UTF-8 shown as U+FFFD); nil if none.
    static func firstLine(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            var line = raw[...]
            while let c = line.first, blank(c) { line = line.dropFirst() }
            while let c = line.last, blank(c) { line = line.dropLast() }
            if !line.isEmpty { return clipped(String(line)) }
        }
        return nil
    }

    /// `text` cut to ``capturedBytes`` at a character boundary.
    static func clipped(_ text: String) -> String {
        var out = ""
        for c in text {
            guard out.utf8.count + c.utf8.count <= capturedBytes else { break }
            out.append(c)
        }
        return out
    }

    /// The first ``outputLines`` lines of `bytes` (invalid UTF-8 shown as U+FFFD).
    static func lines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            .prefix(outputLines).map { String($0.prefix(300)) }
    }
}
