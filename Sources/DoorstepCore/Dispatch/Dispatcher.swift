import PluginAPI
import PluginSupport
import DoorstepProtocol
import Synchronization

/// Routes a request to a core command or a plugin: resolves the name, checks the role,
/// validates the arguments against the command's spec, and turns every failure into a reply.
final class Dispatcher: Sendable {
    enum Route: Sendable {
        case core(CommandSpec)
        case plugin(id: String, CommandSpec)

        var spec: CommandSpec {
            switch self {
            case .core(let s), .plugin(_, let s): return s
            }
        }
    }

    /// What the connection does with a handled request.
    struct Outcome: Sendable {
        var tag: String?
        var result: Result<Reply, ControlError>
        var close = false
        /// The command answered (its spec's name), or `unknown`: the `metrics` label.
        var command = "unknown"
    }

    let runtime: DaemonRuntime
    let routes: [String: Route]
    /// Commands answered on the event loop (``handleNow(_:session:)``): `ping` and the plugins'
    /// immediate commands (``Command/immediate(_:summary:role:arguments:answer:)``).
    let immediate: Set<String>
    /// First words that can start an immediate command (`roster.household`, or `roster` of
    /// `roster household`): anything else goes straight to the request loop, resolved once.
    let immediateLeads: Set<String>
    /// Every command name, sorted, for `help` and suggestions.
    let names: [String]

    init(runtime: DaemonRuntime) {
        self.runtime = runtime
        var routes: [String: Route] = [:]
        for spec in CoreCommands.specs + StateCommands.specs + ReportCommands.specs + PrivacyCommands.specs { routes[spec.name] = .core(spec) }
        for type in runtime.host.registry {
            for spec in type.commandSpecs { routes[spec.name] = .plugin(id: type.id, spec) }
        }
        self.routes = routes
        self.names = routes.keys.sorted()
        var immediate: Set<String> = ["ping"]
        for type in runtime.host.registry {
            immediate.formUnion(type.immediateCommandNames)
        }
        self.immediate = immediate
        self.immediateLeads = immediate.union(immediate.compactMap { $0.split(separator: ".").first.map(String.init) })
    }

    /// Answers at once, without a task or an actor, what needs no waiting: `ping`, a running
    /// plugin's immediate read (or why it is refused), and lines that failed to parse. Nil:
    /// the request must go through ``handle(_:session:)``.
    func handleNow(_ frame: Frame, session: Session) -> Outcome? {
        let started = ContinuousClock.now
        // Local times typed without an offset, and times in replies, are the community's.
        let outcome = CommunityZone.$current.withValue(runtime.host.zone) { answerNow(frame, session: session) }
        if let outcome { record(outcome, since: started) }
        return outcome
    }

    private func record(_ outcome: Outcome, since started: ContinuousClock.Instant) {
        let code: Int
        switch outcome.result {
        case .success(let reply): code = reply.code
        case .failure(let error): code = error.code
        }
        runtime.metrics.recordRequest(command: outcome.command, code: code, duration: ContinuousClock.now - started)
    }

    private func answerNow(_ frame: Frame, session: Session) -> Outcome? {
        guard case .request(let line, let body, _, let bytes) = frame else {
            if case .failure(let tag, let error) = frame { return Outcome(tag: tag, result: .failure(error)) }
            return nil
        }
        guard case .positional(let first)? = line.words.first, immediateLeads.contains(first) else { return nil }
        do {
            let (route, args) = try resolve(line.words)
            guard immediate.contains(route.spec.name) else { return nil }
            try authorize(route.spec, session)
            let request = try Self.bind(args, to: route.spec, body: body, bytes: bytes, caller: session.caller)
            guard case .plugin(let id, _) = route else { return Outcome(tag: line.tag, result: .success(.message("pong")), command: "ping") }
            guard let answer = runtime.host.command(id, route.spec.name)?.runNow else { return nil }
            do {
                return Outcome(tag: line.tag, result: .success(viewed(try answer(request), plugin: id, by: session.caller)),
                               command: route.spec.name)
            } catch let error as ControlError {
                return Outcome(tag: line.tag, result: .failure(error), command: route.spec.name)
            }
        } catch let error as ControlError {
            return Outcome(tag: line.tag, result: .failure(error))
        } catch {
            return Outcome(tag: line.tag, result: .failure(.internalError("\(error)")))
        }
    }

    /// Whether the body `line` announces is wanted, decided at the request line: a request
    /// that will be refused anyway (unknown command, no body taken, role too low, arguments
    /// wrong) gets its answer at once and its body is discarded unread. Undecided until the
    /// peer is identified (its first line can arrive before that).
    func bodyVerdict(_ line: RequestLine, caller: Caller, who: String) -> BodyVerdict {
        CommunityZone.$current.withValue(runtime.host.zone) { () -> BodyVerdict in
            do throws(ControlError) {
                let (route, args) = try resolve(line.words)
                try authorize(route.spec, caller, who: who)
                _ = try Self.bind(args, to: route.spec, body: "", caller: caller)
                return route.spec.bodyEncoding == .bytes ? .acceptBytes : .accept
            } catch {
                return .refuse(error)
            }
        }
    }

    /// Refuses a caller whose role is below the command's.
    private func authorize(_ spec: CommandSpec, _ session: Session) throws(ControlError) {
        try authorize(spec, session.caller, who: session.who)
    }

    private func authorize(_ spec: CommandSpec, _ caller: Caller, who: String) throws(ControlError) {
        guard caller.role >= spec.role else {
            runtime.logger.warning("request refused", metadata: [
                "command": "\(spec.name)", "uid": "\(caller.uid)", "pid": "\(caller.pid)",
                "role": "\(caller.role)", "message_id": "\(MessageID.forbidden)",
            ])
            throw ControlError.forbidden("\(spec.name) needs role \(spec.role); \(who) has \(caller.role)")
        }
    }

    func handle(_ frame: Frame, session: Session) async -> Outcome {
        let started = ContinuousClock.now
        let outcome = await runtime.host.inZone { await answer(frame, session: session) }
        record(outcome, since: started)
        return outcome
    }

    private func answer(_ frame: Frame, session: Session) async -> Outcome {
        switch frame {
        case .failure(let tag, let error):
            return Outcome(tag: tag, result: .failure(error))
        case .request(let line, let body, _, let bytes):
            var command = "unknown"
            do {
                let (route, args) = try resolve(line.words)
                let spec = route.spec
                command = spec.name
                try authorize(spec, session)
                let request = try Self.bind(args, to: spec, body: body, bytes: bytes, caller: session.caller)
                switch route {
                case .core:
                    let (reply, close) = try await CoreCommands(runtime: runtime, dispatcher: self, session: session)
                        .run(request)
                    return Outcome(tag: line.tag, result: .success(reply), close: close, command: command)
                case .plugin(let id, _):
                    let reply = viewed(try await callPlugin(id, request), plugin: id, by: session.caller)
                    return Outcome(tag: line.tag, result: .success(reply), command: command)
                }
            } catch let error as ControlError {
                return Outcome(tag: line.tag, result: .failure(error), command: command)
            } catch {
                return Outcome(tag: line.tag, result: .failure(.internalError("\(error)")), command: command)
            }
        }
    }

    /// The reply as the caller may see it: masked for a viewer (the one privacy policy).
    private func viewed(_ reply: Reply, plugin: String, by caller: Caller) -> Reply {
        caller.role > .viewer ? reply : runtime.host.privacy.viewerReply(reply, plugin: plugin)
    }

    private func callPlugin(_ id: String, _ request: Request) async throws -> Reply {
        let (state, found) = runtime.host.route(id, request.command)
        guard let command = found else {
            switch state {
            case .disabled:
                throw ControlError.unavailable("plugin \(id) is disabled; set [plugins.\(id)] enabled = true and reload")
            case .failed(let why): throw ControlError.unavailable("plugin \(id) has failed: \(why)")
            default: throw ControlError.unavailable("plugin \(id) is not running")
            }
        }
        try runtime.host.beginRequest(id)
        defer { runtime.host.endRequest(id) }
        do {
            // The first record the command makes also announces NAMESPACE.changed.
            return try await ChangeScope.$current.withValue(ChangeScope(plugin: id, request: request)) {
                try await command.run(request)
            }
        } catch let error as ControlError {
            throw error
        } catch is CancellationError {
            throw ControlError.unavailable("plugin \(id) is stopping")
        } catch {
            runtime.logger.error("plugin command failed", metadata: [
                "plugin.id": "\(id)", "command": "\(request.command)", "error": "\(error)",
            ])
            throw ControlError.internalError("\(request.command) failed inside plugin \(id): \(error)")
        }
    }

    /// Whether a command exists now: `debug.hang` only while `[daemon] debug_hang` is true
    /// (until then it is an unknown command, missing from `help` and `commands` too).
    func offered(_ name: String) -> Bool {
        name != CoreCommands.debugHang || runtime.debugHang.load(ordering: .relaxed)
    }

    /// Finds the longest command name the leading words spell (`visits record` → `visits.record`).
    func resolve(_ words: [Argument]) throws(ControlError) -> (Route, ArraySlice<Argument>) {
        var parts: [String] = []
        for word in words.prefix(4) {
            guard case .positional(let w) = word else { break }
            parts.append(w)
        }
        for count in stride(from: parts.count, through: 1, by: -1) {
            let name = parts[..<count].joined(separator: ".")
            if let route = routes[name], offered(name) { return (route, words.dropFirst(count)) }
        }
        let asked = parts.prefix(2).joined(separator: parts.first?.contains(".") == true ? " " : ".")
        let typed = parts.first ?? ""
        var message = "unknown command '\(ValueParser.shown(typed))'"
        // A namespace typed alone (`report`, `visits`): its commands are what was meant.
        let inNamespace = names.filter(offered).filter { $0.hasPrefix(typed + ".") }
        if parts.count > 1, let best = Suggest.closest(to: [asked], among: names.filter(offered)) {
            // `probe ech`: a near miss of a command in that namespace.
            message += "; did you mean '\(best)'?"
        } else if inNamespace.count == 1 {
            message += "; did you mean '\(inNamespace[0])'?"
        } else if !inNamespace.isEmpty {
            message += "; '\(typed)' has \(inNamespace.count) commands: \(inNamespace.prefix(6).joined(separator: ", "))"
                + (inNamespace.count > 6 ? ", …" : "") + " ('help \(typed)' lists them)"
            throw .unknownCommand(message)
        } else if let best = Suggest.closest(to: [typed, asked], among: names.filter(offered)) {
            message += "; did you mean '\(best)'?"
        }
        throw .unknownCommand(message + " ('help' lists every command)")
    }

    /// Matches arguments to the spec: names, positions, required ones, types, body. The body
    /// arrives as text (`body`) or as bytes (`bytes`) and is handed over as the command's
    /// ``BodyEncoding`` asks: bytes for a text command must be UTF-8 (else `415`).
    static func bind(_ args: ArraySlice<Argument>, to spec: CommandSpec, body: String?, bytes: [UInt8]? = nil,
                     caller: Caller) throws(ControlError) -> Request
    {
        var values: [String: String] = [:]
        var rest: [String] = []
        let positional = spec.arguments.filter { $0.kind == .positional }
        var nextPositional = 0
        let usage = "usage: \(spec.usage)"
        for arg in args {
            switch arg {
            case .named(let key, let value):
                guard let argSpec = spec.arguments.first(where: { $0.name == key }) else {
                    let known = spec.arguments.map(\.name)
                    var message = "\(spec.name) has no argument '\(ValueParser.shown(key))'"
                    if let best = Suggest.closest(to: [key], among: known) { message += " (did you mean '\(best)'?)" }
                    throw .invalidArgument(message + "; " + usage)
                }
                guard values[key] == nil else { throw .invalidArgument("argument '\(key)' is given twice; \(usage)") }
                values[key] = value
                if argSpec.variadic { rest.append(value) }
            case .positional(let value):
                guard nextPositional < positional.count else {
                    throw .invalidArgument("unexpected argument '\(ValueParser.shown(value))': \(spec.name) takes "
                        + (positional.isEmpty ? "no positional arguments" : "at most \(positional.count) positional") + "; \(usage)")
                }
                let argSpec = positional[nextPositional]
                if argSpec.variadic {
                    rest.append(value)
                    if values[argSpec.name] == nil { values[argSpec.name] = value }
                } else {
                    guard values[argSpec.name] == nil else {
                        throw .invalidArgument("argument '\(argSpec.name)' is given twice; \(usage)")
                    }
                    values[argSpec.name] = value
                    nextPositional += 1
                }
            }
        }
        for argSpec in spec.arguments {
            guard let value = values[argSpec.name] else {
                if argSpec.required {
                    let what = argSpec.summary.isEmpty ? argSpec.type.name : "\(argSpec.summary), \(argSpec.type.placeholder)"
                    throw .missingArgument("missing argument '\(argSpec.name)' (\(what)); \(usage)")
                }
                continue
            }
            let checked = argSpec.variadic ? rest : [value]
            for v in checked {
                if let problem = argSpec.type.problem(with: v) {
                    throw .invalidArgument("argument '\(argSpec.name)': \(problem)")
                }
                if argSpec.type == .pattern, let problem = EventPattern.problem(with: v) {
                    throw .invalidArgument("argument '\(argSpec.name)': \(problem)")
                }
            }
        }
        switch (spec.body, body != nil || bytes != nil) {
        case (.none, true): throw .invalidArgument("\(spec.name) takes no body (<<WORD); \(usage)")
        case (.required, false): throw .missingArgument("\(spec.name) needs a body: end the line with <<WORD; \(usage)")
        default: break
        }
        var text = body
        var raw: [UInt8]?
        switch spec.bodyEncoding {
        case .utf8:
            if let bytes {
                if let refusal = FrameDecoder.utf8Problem(bytes) { throw refusal }
                text = String(decoding: bytes, as: UTF8.self)
            }
        case .bytes:
            raw = bytes ?? body.map { Array($0.utf8) }
            text = nil
        }
        return Request(command: spec.name, values: values, rest: rest, body: text, caller: caller, declared: spec.arguments,
                       bodyBytes: raw)
    }
}
