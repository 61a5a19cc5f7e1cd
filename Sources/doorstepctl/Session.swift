import DoorstepProtocol
import Glibc

/// `doorstepctl` with no command on a terminal: a prompt with line editing (libedit), history
/// kept across sessions, Tab completion from the daemon's own `commands`, and a connection that
/// comes back by itself after the daemon closed it for idleness.
final class InteractiveSession {
    let options: Options
    let path: String
    let lang: String?
    private let paint: Paint
    private var catalog = Catalog(commands: [])
    private var capabilities: [String] = []
    private var connection: ControlConnection?
    private var reader: LineReader?
    private var editor: LineEditor!
    private var history = HistoryFile()
    /// The daemon said `408 idle_timeout` while the prompt waited: its close is not mentioned.
    private var idleNoticed = false

    init(options: Options, lang: String?) {
        self.options = options
        path = options.socketPath()
        self.lang = lang
        paint = Paint(on: Terminal.colour(1))
    }

    func run() -> Int32 {
        // The command list first: it also tells whether the daemon is there at all.
        let hello: JSON
        do {
            hello = try refreshCatalog()
        } catch {
            return DoorstepCtl.report(error, path: path, printer: nil)
        }
        Signals.install(terminate: true)
        guard let editor = LineEditor(program: "doorstepctl") else {
            Output.err("doorstepctl: cannot start the line editor (libedit) on this terminal")
            return 3
        }
        self.editor = editor
        defer {
            editor.close()
            if let connection { close(connection.fd) }
        }
        editor.complete = { [unowned self] text in completions(for: text) }
        editor.onWatchedReadable = { [unowned self] in socketReadableAtPrompt() }
        for line in history.load() { editor.addHistory(line) }
        banner(hello)
        do {
            try openConnection()
        } catch {
            return DoorstepCtl.report(error, path: path, printer: nil)
        }

        let prompt = paint.on ? "\u{1}\u{1b}[1;32m\u{1}doorstep>\u{1}\u{1b}[0m\u{1} " : "doorstep> "
        while true {
            editor.watchedFD = connection?.fd ?? -1
            guard let line = editor.readLine(prompt: prompt) else {
                Output.out("")
                return 0
            }
            editor.watchedFD = -1
            if Signals.terminating { return 0 }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if HistoryFile.records(line) {
                var entry = line
                while entry.last == " " || entry.last == "\t" { entry.removeLast() }
                editor.addHistory(entry)
                history.append(entry)
            }
            if trimmed == "exit" || trimmed == "quit" || trimmed == "\\q" { return 0 }
            var request = Array((line + "\n").utf8)
            if let word = Lexer.heredocWord(Array(line.utf8)) {
                guard let body = readBody(until: word) else {
                    Output.err(paint.dim("(request not sent: its body was cut off)"))
                    continue
                }
                request += body
            }
            run(request)
        }
    }

    // MARK: the conversation

    /// Sends one request and prints its reply; reconnects first when the daemon closed the
    /// connection, and sends again once when the daemon closed it for idleness just as the
    /// request went out (it did not run it).
    private func run(_ request: [UInt8]) {
        for attempt in 0..<2 {
            if connection == nil {
                do {
                    // A reload or restart may have changed the commands: completion follows.
                    try refreshCatalog()
                    try openConnection()
                } catch {
                    _ = DoorstepCtl.report(error, path: path, printer: nil)
                    return
                }
            }
            switch exchange(request) {
            case .answered(let lines):
                if lines > 0 { Output.out("") }
                return
            case .idleTimedOut where attempt == 0:
                dropConnection()
                continue
            case .idleTimedOut, .closed:
                dropConnection()
                Output.err(paint.yellow("doorstepd closed the connection before answering; the next command reconnects"))
                return
            case .failed(let message):
                dropConnection()
                Output.err(paint.red(message))
                return
            }
        }
    }

    private enum Outcome {
        case answered(lines: Int)
        case idleTimedOut
        case closed
        case failed(String)
    }

    private func exchange(_ request: [UInt8], skip: Int = 0, expected: Int = 1) -> Outcome {
        guard let connection, let reader else { return .closed }
        var printer = ReplyPrinter(json: options.json, skip: skip)
        printer.session = true
        printer.paint = paint
        printer.swallowIdleTimeout = true
        printer.onEvent = { [paint, options] line in Output.out(EventLine.session(line, json: options.json, paint: paint)) }
        do {
            try connection.sendAll(request, timeout: options.timeoutSeconds)
            while printer.received < expected {
                guard let line = try reader.next(timeout: options.timeoutSeconds) else {
                    return printer.idleTimedOut ? .idleTimedOut : .closed
                }
                printer.feed(Array(line.utf8) + [0x0A])
                if printer.idleTimedOut { return .idleTimedOut }
            }
        } catch {
            switch error {
            case .interrupted:
                return .failed("\ninterrupted; the daemon may still finish the request (the next command reconnects)")
            case .timeout(let seconds):
                return .failed("no answer within \(seconds) s (--timeout); the next command reconnects")
            case .closed:
                return printer.idleTimedOut ? .idleTimedOut : .closed
            default:
                return .failed("\(error)")
            }
        }
        return .answered(lines: printer.printedLines)
    }

    /// A new connection, in the chosen format and language; the hellos' replies are not shown.
    private func openConnection() throws(ControlConnection.Failure) {
        let connection = try ControlConnection.connect(path: path)
        self.connection = connection
        reader = LineReader(connection)
        idleNoticed = false
        var hellos = ["hello client=doorstepctl" + (options.json ? " format=json" : "")]
        if let lang, capabilities.contains("lang") { hellos.append("hello lang=\(lang)") }
        let text = hellos.map { $0 + "\n" }.joined()
        switch exchange(Array(text.utf8), skip: hellos.count, expected: hellos.count) {
        case .answered: return
        case .idleTimedOut, .closed:
            dropConnection()
            throw .closed(pending: hellos.count)
        case .failed(let message):
            dropConnection()
            throw .io(message)
        }
    }

    private func dropConnection() {
        if let connection { close(connection.fd) }
        connection = nil
        reader = nil
        editor?.watchedFD = -1
    }

    /// The daemon wrote while the prompt waited: events are shown above the prompt; a close
    /// for idleness is kept quiet (the next command reconnects); another close is mentioned.
    private func socketReadableAtPrompt() {
        guard let reader else {
            editor.watchedFD = -1
            return
        }
        let open = reader.readAvailable()
        var text = ""
        while let line = reader.takeLine() {
            if line.hasPrefix("408 idle_timeout") || line.contains("\"error\":\"idle_timeout\"") {
                idleNoticed = true
            } else if EventLine.isEvent(line) {
                text += EventLine.session(line, json: options.json, paint: paint) + "\n"
            } else {
                text += line + "\n"
            }
        }
        if !open {
            dropConnection()
            if !idleNoticed { text += paint.yellow("doorstepd closed the connection; the next command reconnects") + "\n" }
        }
        if !text.isEmpty { editor.printAbovePrompt(text) }
    }

    /// The lines of a heredoc body up to `word` (Tab inserts a tab meanwhile); nil when cut off.
    private func readBody(until word: String) -> [UInt8]? {
        editor.setCompletion(false)
        defer { editor.setCompletion(true) }
        var body: [UInt8] = []
        while true {
            guard let line = editor.readLine(prompt: paint.on ? "\u{1}\u{1b}[2m\u{1}…>\u{1}\u{1b}[0m\u{1} " : "…> ") else { return nil }
            if Signals.terminating || editor.interrupted { return nil }
            body += Array((line + "\n").utf8)
            if line == word { return body }
        }
    }

    // MARK: completion

    /// Fetches `commands` (JSON, on a connection of its own); returns the hello.
    @discardableResult
    private func refreshCatalog() throws(ControlConnection.Failure) -> JSON {
        let answer = try DaemonQuery.run(path: path, ["commands"], timeout: options.timeoutSeconds)
        capabilities = (answer.hello["data"]?["capabilities"]?.elements ?? []).compactMap(\.text)
        if let data = answer.replies.first?["data"] { catalog = Catalog(json: data) }
        catalog.callerRole = answer.hello["data"]?["role"]?.text
        return answer.hello
    }

    private func completions(for text: String) -> (candidates: [Candidate], current: String) {
        let split = WordSplitter.split(text)
        guard !split.openQuote else { return ([], split.current) }
        if catalog.commands.isEmpty { _ = try? refreshCatalog() }
        var completer = Completer(catalog: catalog, households: DaemonHouseholds(path: path, catalog: catalog))
        completer.localCommands = [("exit", "leave the session (also quit, Ctrl-D)")]
        return (completer.complete(words: split.words, current: split.current), split.current)
    }

    private func banner(_ hello: JSON) {
        let data = hello["data"] ?? .null
        let version = data["version"]?.text ?? "?"
        let role = data["role"]?.text ?? "?"
        Output.out(paint.bold("doorstepd \(version)") + " at \(path), your role: \(role). "
            + paint.dim("Tab completes, ↑ recalls, 'help' lists commands, Ctrl-D leaves."))
    }
}

/// Household ids from the daemon (`roster.households prefix=…`), for Tab.
struct DaemonHouseholds: HouseholdSource {
    let path: String
    let catalog: Catalog

    func households(prefix: String) -> [String]? {
        guard let list = catalog.command("roster.households") else { return nil }
        // `prefix=` narrows the list at the daemon; without it (an older daemon) the whole list.
        let request = list.argument("prefix") != nil && !prefix.isEmpty
            ? "roster.households prefix=" + Quoting.quote(prefix) : "roster.households"
        guard let answer = try? DaemonQuery.run(path: path, [request], timeout: 3),
            let reply = answer.replies.first, reply["ok"] == .bool(true)
        else { return nil }
        return (reply["data"]?.elements ?? []).compactMap { $0["household"]?.text }.filter { $0.hasPrefix(prefix) }
    }
}
