import Glibc

/// The command line of `doorstepctl`.
struct Options {
    var socket: String?
    var json = false
    var follow = false
    var timeoutSeconds = 30.0
    var dataFile: String?
    /// `--output FILE`: the replies' data into a new private file (``PrivateOutput``).
    var outputFile: String?
    /// `--force`: `--output` may replace an existing file.
    var force = false
    /// Separators between replies: nil = when stdout is a terminal and stdin carries requests.
    var separators: Bool?
    var words: [String] = []

    static let usage = """
        usage: doorstepctl [--socket PATH] [--json] [--timeout SECONDS] [--data FILE|-] [--output FILE [--force]] [--follow] COMMAND [ARG...]
               doorstepctl [--socket PATH] [--json]                  (on a terminal: an interactive session)
               doorstepctl [--socket PATH] [--json] < requests.txt
               doorstepctl [--socket PATH] [--json] watch [PATTERN...]
               doorstepctl completion bash|zsh|fish

        Sends COMMAND to doorstepd and prints the reply. Arguments are passed as typed:
        key=value stays a named argument, anything with spaces or quotes is quoted for you.
        With no COMMAND on a terminal, opens a session: line editing, history (↑, Ctrl-R), Tab
        completion of commands, arguments, values and household ids. With no COMMAND and stdin
        not a terminal, reads request lines from stdin (pipelined) and prints every reply; on a
        terminal each reply is headed by '» REQUEST' and a blank line (--separators forces them,
        --no-separators leaves them out). 'watch' prints one line per event (default pattern *).

          --socket PATH      control socket (default: $DOORSTEP_SOCKET, ./var/doorstep.sock, /run/doorstep.sock)
          --json             print the daemon's JSON lines unchanged
          --timeout SECONDS  give up waiting for a reply after SECONDS (default 30; 0 waits forever)
          --data FILE        send FILE (or - for stdin) as the request's body (<<WORD heredoc)
          --output FILE      write the replies' data into FILE, created 0600 (backups, exports: personal data);
                             kept only if every request succeeded; an existing FILE needs --force
          --force            with --output: replace an existing FILE
          --follow, -f       keep printing events after the replies (use with subscribe)
          --separators       separate replies from stdin even when stdout is not a terminal
          --no-separators    never separate them (the default when stdout is not a terminal)
          --help, -h         this help;  --version  the client's version

        exit status: 0 success, 1 the daemon refused the request (4xx), 2 usage error,
        3 the daemon failed (5xx) or did not answer in time, 69 the daemon is unreachable,
        73 the --output file could not be created or written.
        'doorstepctl help' lists the daemon's commands; docs/protocol.md describes the protocol.
        """

    struct UsageError: Error {
        let message: String
    }

    /// Parses `arguments` (without the program name). Options come before the command.
    static func parse(_ arguments: [String]) throws(UsageError) -> Options? {
        var options = Options()
        var i = 0
        func value(_ name: String, _ inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            i += 1
            guard i < arguments.count else { throw UsageError(message: "\(name) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            let arg = arguments[i]
            if arg == "--" {
                i += 1
                break
            }
            guard arg.hasPrefix("-"), arg != "-" else { break }
            var name = arg
            var inline: String?
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            switch name {
            case "--socket", "-s": options.socket = try value(name, inline)
            case "--json": options.json = true
            case "--follow", "-f": options.follow = true
            case "--separators": options.separators = true
            case "--no-separators": options.separators = false
            case "--data", "-d": options.dataFile = try value(name, inline)
            case "--output", "-o": options.outputFile = try value(name, inline)
            case "--force": options.force = true
            case "--timeout", "-t":
                let text = try value(name, inline)
                guard let seconds = Double(text), seconds >= 0, seconds.isFinite else {
                    throw UsageError(message: "--timeout: expected a number of seconds ≥ 0, got '\(text)'")
                }
                options.timeoutSeconds = seconds
            case "--help", "-h": return nil
            case "--version":
                options.words = ["--version"]
                return options
            default: throw UsageError(message: "unknown option '\(arg)'")
            }
            i += 1
        }
        options.words = Array(arguments[i...])
        if options.dataFile != nil, options.words.isEmpty {
            throw UsageError(message: "--data needs a COMMAND to send the body with")
        }
        if options.outputFile != nil, options.words.isEmpty || options.words.first == "watch" {
            throw UsageError(message: "--output needs a COMMAND whose replies go into the file (not a session or watch)")
        }
        if options.force, options.outputFile == nil {
            throw UsageError(message: "--force only applies to --output FILE")
        }
        return options
    }

    /// The socket path: --socket, $DOORSTEP_SOCKET, then the first default that exists.
    func socketPath() -> String {
        if let socket { return socket }
        if let env = getenv("DOORSTEP_SOCKET"), env.pointee != 0 { return String(cString: env) }
        for candidate in ["var/doorstep.sock", "/run/doorstep.sock"] where access(candidate, F_OK) == 0 {
            return candidate
        }
        return "var/doorstep.sock"
    }
}
