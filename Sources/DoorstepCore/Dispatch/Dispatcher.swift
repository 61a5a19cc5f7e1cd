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
    /// The words of a `lang=zh-CN` connection: the core's, then each registered plugin's.
    let glossaryZh: Glossary

    init(runtime: DaemonRuntime) {
        self.runtime = runtime
        var routes: [String: Route] = [:]
        for spec in CoreCommands.specs + StateCommands.specs + ReportCommands.specs + AuditCommands.specs + PrivacyCommands.specs {
            routes[spec.name] = .core(spec)
        }
        for type in runtime.host.registry {
            for spec in type.commandSpecs { routes[spec.name] = .plugin(id: type.id, spec) }
        }
        self.routes = routes
        self.names = routes.keys.sorted()
        // Plugin ids stay as they are: they are also keys of data (state.status's snapshots).
        let ids = Set(runtime.host.registry.flatMap { [$0.id, $0.namespace] })
        self.glossaryZh = runtime.host.registry.reduce(Glossary.chinese) { $0.adding($1.glossaryZh) }.removing(ids)
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
            let outcome: Outcome
            do {
                try authorize(route.spec, session)
                let request = try Self.bind(args, to: route.spec, body: body, bytes: bytes, caller: session.caller)
                guard case .plugin(let id, _) = route else { return Outcome(tag: line.tag, result: .success(.message("pong")), command: "ping") }
                guard let answer = runtime.host.command(id, route.spec.name)?.runNow else { return nil }
                outcome = Outcome(tag: line.tag, result: .success(viewed(try answer(request), plugin: id, by: session.caller)),
                                  command: route.spec.name)
            } catch let error as ControlError {
                outcome = Outcome(tag: line.tag, result: .failure(error), command: route.spec.name)
            }
            // Reads on the event loop are audited without waiting (no I/O here): queued for the
            // next group commit (docs/state.md, "The audit trail").
            if let record = auditRecord(route, args, bodyBytes: nil, caller: session.caller, result: outcome.result) {
                runtime.audit?.append(record)
            }
            return outcome
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
            let route: Route, args: ArraySlice<Argument>
            do throws(ControlError) {
                (route, args) = try resolve(line.words)
            } catch {
                return .refuse(error)
            }
            do throws(ControlError) {
                try authorize(route.spec, caller, who: who)
                _ = try Self.bind(args, to: route.spec, body: "", caller: caller)
                return route.spec.bodyEncoding == .bytes ? .acceptBytes : .accept
            } catch {
                // Refused at its request line, so never seen by the request loop: audited here,
                // without waiting (this runs on the event loop).
                if let record = auditRecord(route, args, bodyBytes: nil, caller: caller, result: .failure(error)) {
                    runtime.audit?.append(record)
                }
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
                .zh("\(spec.name) 需要 \(spec.role) 角色；\(who) 的角色是 \(caller.role)")
        }
    }

    func handle(_ frame: Frame, session: Session) async -> Outcome {
        let started = ContinuousClock.now
        let outcome = await runtime.host.inZone { await answer(frame, session: session) }
        record(outcome, since: started)
        return outcome
    }

    private func answer(_ frame: Frame, session: Session) async -> Outcome {
        guard case .request(let line, let body, _, let bytes) = frame else {
            if case .failure(let tag, let error) = frame { return Outcome(tag: tag, result: .failure(error)) }
            return Outcome(tag: nil, result: .failure(.internalError("an empty frame reached the request loop")))
        }
        var resolved: (Route, ArraySlice<Argument>)?
        let outcome = await answer(line, body: body, bytes: bytes, session: session, resolved: &resolved)
        // A change's reply waits for its audit record: an acknowledged change is always
        // audited. A read's record is queued for the next group commit, as on the event loop:
        // waiting put an fdatasync under every pipelined read (4,094 reads/s, p50 3.8 ms, bench).
        if let (route, args) = resolved, let audit = runtime.audit,
            let record = auditRecord(route, args, bodyBytes: body.map { $0.utf8.count } ?? bytes?.count,
                                     caller: session.caller, result: outcome.result)
        {
            if record.kind == .change { await audit.record(record) } else { audit.append(record) }
        }
        return outcome
    }

    /// The audit record of a request, or nil when ``AuditPolicy`` does not record it.
    func auditRecord(_ route: Route, _ args: ArraySlice<Argument>, bodyBytes: Int?, caller: Caller,
                     result: Result<Reply, ControlError>) -> AuditRecord? {
        guard let audit = runtime.audit, let kind = AuditPolicy.kind(of: route.spec, callerRole: caller.role) else { return nil }
        var plugin = "core"
        if case .plugin(let id, _) = route { plugin = id }
        let code: Int, error: String?
        switch result {
        case .success(let reply): (code, error) = (reply.code, nil)
        case .failure(let e): (code, error) = (e.code, e.name)
        }
        return AuditRecord(timeMillis: AuditLog.nowMillis(), uid: caller.uid, user: audit.userName(caller.uid), pid: caller.pid,
                           role: caller.role.description, command: route.spec.name, plugin: plugin, kind: kind,
                           args: AuditRedaction.redact(command: route.spec, arguments: args), bodyBytes: bodyBytes,
                           code: code, error: error)
    }

    private func answer(_ line: RequestLine, body: String?, bytes: [UInt8]?, session: Session,
                        resolved: inout (Route, ArraySlice<Argument>)?) async -> Outcome {
            var command = "unknown"
            do {
                let (route, args) = try resolve(line.words)
                resolved = (route, args)
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
                    .zh("插件 \(id) 未启用；在配置中设置 [plugins.\(id)] enabled = true 后重新加载")
            case .failed(let why): throw ControlError.unavailable("plugin \(id) has failed: \(why)").zh("插件 \(id) 已出错：\(why)")
            default: throw ControlError.unavailable("plugin \(id) is not running").zh("插件 \(id) 未在运行")
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
            throw ControlError.unavailable("plugin \(id) is stopping").zh("插件 \(id) 正在停止")
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
        var zh = "没有命令 '\(ValueParser.shown(typed))'"
        // A namespace typed alone (`report`, `visits`): its commands are what was meant.
        let inNamespace = names.filter(offered).filter { $0.hasPrefix(typed + ".") }
        if parts.count > 1, let best = Suggest.closest(to: [asked], among: names.filter(offered)) {
            // `probe ech`: a near miss of a command in that namespace.
            message += "; did you mean '\(best)'?"
            zh += "；是不是要用 '\(best)'？"
        } else if inNamespace.count == 1 {
            message += "; did you mean '\(inNamespace[0])'?"
            zh += "；是不是要用 '\(inNamespace[0])'？"
        } else if !inNamespace.isEmpty {
            let listed = inNamespace.prefix(6).joined(separator: ", ") + (inNamespace.count > 6 ? ", …" : "")
            message += "; '\(typed)' has \(inNamespace.count) commands: \(listed) ('help \(typed)' lists them)"
            throw ControlError.unknownCommand(message)
                .zh(zh + "；'\(typed)' 有 \(inNamespace.count) 个命令：\(listed)（'help \(typed)' 列出全部）")
        } else if let best = Suggest.closest(to: [typed, asked], among: names.filter(offered)) {
            message += "; did you mean '\(best)'?"
            zh += "；是不是要用 '\(best)'？"
        }
        throw ControlError.unknownCommand(message + " ('help' lists every command)").zh(zh + "（'help' 列出所有命令）")
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
        let usage = "usage: \(spec.usage)", usageZh = "用法：\(spec.usage)"
        for arg in args {
            switch arg {
            case .named(let key, let value):
                guard let argSpec = spec.arguments.first(where: { $0.name == key }) else {
                    let known = spec.arguments.map(\.name)
                    var message = "\(spec.name) has no argument '\(ValueParser.shown(key))'"
                    var zh = "\(spec.name) 没有参数 '\(ValueParser.shown(key))'"
                    if let best = Suggest.closest(to: [key], among: known) {
                        message += " (did you mean '\(best)'?)"
                        zh += "（是不是 '\(best)'？）"
                    }
                    throw ControlError.invalidArgument(message + "; " + usage).zh(zh + "；" + usageZh)
                }
                guard values[key] == nil else {
                    throw ControlError.invalidArgument("argument '\(key)' is given twice; \(usage)").zh("参数 '\(key)' 给了两次；\(usageZh)")
                }
                values[key] = value
                if argSpec.variadic { rest.append(value) }
            case .positional(let value):
                guard nextPositional < positional.count else {
                    throw ControlError.invalidArgument("unexpected argument '\(ValueParser.shown(value))': \(spec.name) takes "
                        + (positional.isEmpty ? "no positional arguments" : "at most \(positional.count) positional") + "; \(usage)")
                        .zh("多余的参数 '\(ValueParser.shown(value))'：\(spec.name) "
                            + (positional.isEmpty ? "不接受位置参数" : "最多接受 \(positional.count) 个位置参数") + "；\(usageZh)")
                }
                let argSpec = positional[nextPositional]
                if argSpec.variadic {
                    rest.append(value)
                    if values[argSpec.name] == nil { values[argSpec.name] = value }
                } else {
                    guard values[argSpec.name] == nil else {
                        throw ControlError.invalidArgument("argument '\(argSpec.name)' is given twice; \(usage)")
                            .zh("参数 '\(argSpec.name)' 给了两次；\(usageZh)")
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
                    throw ControlError.missingArgument("missing argument '\(argSpec.name)' (\(what)); \(usage)")
                        .zh("缺少参数 '\(argSpec.name)'（\(what)）；\(usageZh)")
                }
                continue
            }
            let checked = argSpec.variadic ? rest : [value]
            for v in checked {
                if let problem = argSpec.type.problem(with: v) {
                    throw ControlError.invalidArgument("argument '\(argSpec.name)': \(problem)")
                        .zh("参数 '\(argSpec.name)'：\(argSpec.type.problemZh(with: v) ?? problem)")
                }
                if argSpec.type == .pattern, let problem = EventPattern.problem(with: v) {
                    throw ControlError.invalidArgument("argument '\(argSpec.name)': \(problem)").zh("参数 '\(argSpec.name)'：\(problem)")
                }
            }
        }
        switch (spec.body, body != nil || bytes != nil) {
        case (.none, true):
            throw ControlError.invalidArgument("\(spec.name) takes no body (<<WORD); \(usage)").zh("\(spec.name) 不接受正文（<<WORD）；\(usageZh)")
        case (.required, false):
            throw ControlError.missingArgument("\(spec.name) needs a body: end the line with <<WORD; \(usage)")
                .zh("\(spec.name) 需要正文：在行末写 <<WORD；\(usageZh)")
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
