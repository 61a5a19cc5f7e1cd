import DoorstepProtocol
import Glibc

/// `doorstepctl`: the thin client. It knows the framing of the protocol, not its commands.
@main
enum DoorstepCtl {
    static func main() {
        exit(run(Array(CommandLine.arguments.dropFirst())))
    }

    static func run(_ arguments: [String]) -> Int32 {
        let options: Options
        do {
            guard let parsed = try Options.parse(arguments) else {
                Output.out(Options.usage)
                return 0
            }
            options = parsed
        } catch {
            Output.err("doorstepctl: \(error.message)\n" + Options.usage.split(separator: "\n").prefix(2).joined(separator: "\n"))
            return 2
        }
        if options.words == ["--version"] {
            Output.out("doorstepctl \(DoorstepVersion.release) (protocol \(DoorstepVersion.proto))")
            return 0
        }
        // The client's own commands: completion scripts, the completion engine, watch.
        switch options.words.first {
        case "completion":
            guard options.words.count == 2, let script = ShellCompletion.script(options.words[1]) else {
                Output.err("doorstepctl: usage: doorstepctl completion bash|zsh|fish")
                return 2
            }
            Output.writeAll(1, script)
            return 0
        case "__complete":
            return ShellCompletion.complete(Array(options.words.dropFirst()), options: options)
        case "watch":
            return Watch.run(options: options, patterns: Array(options.words.dropFirst()))
        default:
            break
        }
        let lang = ClientLanguage.fromEnvironment()
        if options.words.isEmpty, Terminal.isTTY(0) {
            return InteractiveSession(options: options, lang: lang).run()
        }
        var request: [UInt8] = []
        var requests = 0
        if !options.words.isEmpty {
            var line = options.words.map(Quoting.requestWord).joined(separator: " ")
            if let file = options.dataFile {
                guard let body = readAll(file) else {
                    Output.err("doorstepctl: --data \(file): \(String(cString: strerror(errno)))")
                    return 2
                }
                let word = terminator(for: body)
                line += " <<" + word + "\n"
                request += Array(line.utf8) + body
                if !body.isEmpty, body.last != 0x0A { request.append(0x0A) }
                request += Array((word + "\n").utf8)
            } else {
                request += Array((line + "\n").utf8)
            }
            requests += 1
        }
        // Personal data: never onto a terminal, and a private file when asked (docs/state.md).
        var output: PrivateOutput?
        if let file = options.outputFile {
            switch PrivateOutput.create(file, force: options.force) {
            case .success(let created): output = created
            case .failure(let refusal):
                Output.err("doorstepctl: " + refusal.message)
                return 73
            }
        } else if Terminal.isTTY(1), let refusal = PrivateOutput.terminalRefusal(for: options.words) {
            Output.err(refusal)
            return 2
        } else if let warning = PrivateOutput.exposureWarning(for: options.words) {
            Output.err(warning)
        }
        output?.redirectStandardOutput()
        let status = converse(options: options, request: request, requests: requests, lang: lang)
        guard let output else { return status }
        guard status == 0 else {
            output.discard()
            Output.err("doorstepctl: nothing written to \(output.path): the request did not succeed")
            return status
        }
        if let problem = output.commit() {
            Output.err("doorstepctl: --output " + problem)
            return 73
        }
        return 0
    }

    /// Sends the request (and stdin's, without a COMMAND) and prints the replies; the exit status.
    static func converse(options: Options, request: [UInt8], requests: Int, lang: String?) -> Int32 {
        var request = request
        let path = options.socketPath()
        var printer = ReplyPrinter(json: options.json, skip: 0)
        // Separators between the replies of requests read from stdin, for a person reading them.
        printer.separators = options.words.isEmpty && (options.separators ?? Terminal.isTTY(1)) && !options.json
            || options.words.isEmpty && options.json && options.separators == true
        printer.paint = Paint(on: Terminal.colour(1))
        do throws(ControlConnection.Failure) {
            let connection = try ControlConnection.connect(path: path)
            defer { close(connection.fd) }
            // The hellos go first and their replies are not shown: JSON replies, and the user's
            // language when the daemon offers it (asked first: `lang` in hello's capabilities).
            var hellos: [String] = []
            if let lang {
                let reader = LineReader(connection)
                try connection.sendAll(Array("hello format=json client=doorstepctl\n".utf8), timeout: options.timeoutSeconds)
                guard let line = try reader.next(timeout: options.timeoutSeconds) else { throw ControlConnection.Failure.closed(pending: 1) }
                guard let hello = try? JSON.parse(Array(line.utf8)) else {
                    printer.feed(Array(line.utf8) + [0x0A])
                    return printer.worst
                }
                if !options.json { hellos.append("hello format=text") }
                if (hello["data"]?["capabilities"]?.elements ?? []).contains(.string("lang")) { hellos.append("hello lang=\(lang)") }
            } else if options.json {
                hellos.append("hello format=json client=doorstepctl")
            }
            request = Array(hellos.map { $0 + "\n" }.joined().utf8) + request
            printer.skip = hellos.count
            try connection.converse(initial: request, initialRequests: requests + hellos.count, readStdin: options.words.isEmpty,
                                    follow: options.follow, timeout: options.timeoutSeconds, printer: &printer)
        } catch {
            return report(error, path: path, printer: printer)
        }
        return printer.worst
    }

    /// Prints what went wrong with the connection; the exit status for it.
    static func report(_ error: ControlConnection.Failure, path: String, printer: ReplyPrinter?) -> Int32 {
        switch error {
        case .unreachable(let message):
            Output.err("doorstepctl: " + message)
            return 69
        case .timeout(let seconds):
            Output.err("doorstepctl: no answer from doorstepd at \(path) within \(seconds) s (--timeout)")
            return 3
        case .closed(let pending):
            // A refusal (403, 408, 429) is the daemon's own explanation of the close.
            if let printer, printer.worst > 0 { return printer.worst }
            Output.err("doorstepctl: doorstepd closed the connection with \(pending) request(s) unanswered")
            return 3
        case .io(let message):
            Output.err("doorstepctl: " + message)
            return 3
        case .interrupted:
            return 130
        case .refused(let line):
            Output.err("doorstepctl: " + line)
            return 1
        }
    }

    /// A heredoc word that no line of `body` equals.
    static func terminator(for body: [UInt8]) -> String {
        let lines = Set(body.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) })
        var word = "DOORSTEP_EOF"
        var n = 0
        while lines.contains(word) || lines.contains(word + "\r") {
            n += 1
            word = "DOORSTEP_EOF_\(n)"
        }
        return word
    }

    /// The bytes of `path`, or of stdin for `-`.
    static func readAll(_ path: String) -> [UInt8]? {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { if fd != 0 { close(fd) } }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return out }
            out += chunk[..<n]
        }
    }
}
