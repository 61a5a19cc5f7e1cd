import Glibc
import PluginAPI
import PluginSupport
import DoorstepProtocol
import NIOCore
import Synchronization

/// The daemon's own commands (docs/protocol.md §8).
struct CoreCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("hello", summary: "handshake: versions, capabilities, plugins, your role; choose the format", arguments: [
            .named("proto", .int(min: 1, max: 1), summary: "protocol version"),
            .named("format", .choice(["text", "json"]), summary: "reply format on this connection"),
            .named("client", summary: "client name for logs"),
            .named("lang", .choice(["en", "zh-CN"]), summary: "language of reports and help on this connection (error names and JSON keys stay English)"),
        ]).zh("握手：版本、能力、插件、你的角色；选择回复格式和语言"),
        CommandSpec("ping", summary: "check the daemon answers").zh("检查守护进程是否应答"),
        CommandSpec("help", summary: "list commands, or show one command's usage", arguments: [
            .positional("command", required: false, variadic: true, summary: "command name"),
        ]).zh("列出命令，或显示某个命令（某个模块）的用法"),
        CommandSpec("commands", summary: "describe every command (arguments, types, roles) for tools").zh("为工具描述每个命令（参数、类型、角色）"),
        CommandSpec("status", summary: "version, uptime, plugins, connections, state size").zh("版本、运行时间、插件、连接、状态大小"),
        CommandSpec("plugins", summary: "list plugins and their state").zh("列出插件及其状态"),
        CommandSpec("reload", summary: "re-read the config file (as SIGHUP does)", role: .admin, mutates: true).zh("重新读取配置文件（同 SIGHUP）"),
        CommandSpec("subscribe", summary: "receive events matching the patterns on this connection", arguments: [
            .positional("pattern", .pattern, required: true, variadic: true, summary: "event pattern such as visits.*"),
            .named("from", .int(min: 1), summary: "first replay the committed events from this sequence number (first subscribe only)"),
        ]).zh("在本连接上接收匹配的事件"),
        CommandSpec("unsubscribe", summary: "stop receiving events (all, or the given patterns)", arguments: [
            .positional("pattern", .pattern, required: false, variadic: true, summary: "event pattern"),
        ]).zh("停止接收事件（全部或指定模式）"),
        CommandSpec("quit", summary: "close this connection").zh("关闭本连接"),
        CommandSpec("metrics", summary: "figures in Prometheus' text format: requests, latency, journal, connections, plugins' gauges").zh("Prometheus 文本格式的指标：请求、延迟、日志、连接、插件指标"),
        // Testing only, and absent unless `[daemon] debug_hang = true` (Dispatcher.offered).
        CommandSpec(debugHang, summary: "testing only: block the event loop that sends systemd's watchdog pings",
                    role: .admin, arguments: [
            .named("seconds", .int(min: 1, max: 86_400), summary: "how long (default: until the watchdog kills the daemon)"),
        ]),
    ]

    /// The name of the watchdog test command.
    static let debugHang = "debug.hang"

    let runtime: DaemonRuntime
    let dispatcher: Dispatcher
    let session: Session

    /// Refuses a `subscribe … from=SEQ` that cannot be served without a gap.
    private func checkReplay(from: UInt64) throws(ControlError) {
        guard session.patterns.isEmpty, !session.resumable else {
            throw .conflict("from= is allowed only on a connection's first subscribe (this one is subscribed to "
                + "\(session.patterns.joined(separator: " "))); open a new connection to replay")
        }
        let last = runtime.hub.lastSeq
        guard from <= last + 1 else {
            throw .invalidArgument("argument 'from': \(from) is beyond the next sequence number \(last + 1) "
                + "(the last committed is \(last)); resume from at most \(last + 1)")
        }
        if let oldest = runtime.host.store?.oldestJournalSeq, from < oldest {
            throw .notFound("events from seq \(from) are no longer in the journal: segments up to \(oldest - 1) were "
                + "compacted into snapshots; subscribe from=\(oldest) (and read the state as it is with plugin reads "
                + "or state.backup), or keep a cursor within [daemon.state] snapshot_every_events")
        }
    }

    /// Runs a core command; the flag asks the connection to close after the reply.
    func run(_ request: Request) async throws -> (Reply, Bool) {
        switch request.command {
        case "hello": return (hello(request), false)
        case "ping": return (.message("pong"), false)
        case "help": return (try help(request.rest), false)
        case "commands": return (commands(), false)
        case "status": return (status(), false)
        case "plugins": return (await plugins(), false)
        case "reload":
            switch await runtime.reload(reason: "reload command from \(session.who)") {
            case .success(let changes):
                return (Reply(data: ["changes": .array(changes.map(JSON.string))],
                              lines: changes.isEmpty ? ["no changes"] : changes, message: "reloaded"), false)
            case .failure(let error): throw error
            }
        case "subscribe":
            let from = try request.int("from").map(UInt64.init)
            if let from { try checkReplay(from: from) }
            var patterns = session.patterns
            for p in request.rest where !patterns.contains(p) { patterns.append(p) }
            session.patterns = patterns
            let through = runtime.hub.setPatterns(session.subscriptionID, patterns)
            if let from { session.startReplay(.init(after: from - 1, through: through, patterns: patterns)) }
            let replayed = from.map { through >= $0 ? "; replaying \($0)…\(through) from the journal" : "" } ?? ""
            return (Reply(data: ["patterns": .array(patterns.map(JSON.string)), "seq": .number(through),
                                 "from": from.map { .number($0) } ?? .null],
                          lines: [], message: "subscribed to \(patterns.joined(separator: " "))" + replayed), false)
        case "unsubscribe":
            let patterns = request.rest.isEmpty ? [] : session.patterns.filter { !request.rest.contains($0) }
            session.patterns = patterns
            runtime.hub.setPatterns(session.subscriptionID, patterns)
            return (Reply(data: ["patterns": .array(patterns.map(JSON.string))], lines: [],
                          message: patterns.isEmpty ? "no subscriptions" : "still subscribed to \(patterns.joined(separator: " "))"), false)
        case "quit": return (.message("bye"), true)
        case "metrics":
            let text = await runtime.metrics.exposition(runtime: runtime)
            let lines = text.split(separator: "\n").map(String.init)
            return (Reply(data: ["text": .string(text)], lines: lines, message: "\(lines.count) lines"), false)
        case "report.daily": return (try await ReportCommands(runtime: runtime, session: session).run(request), false)
        case Self.debugHang: return (try hang(seconds: try request.int("seconds")), false)
        case let name where name.hasPrefix("state."): return (try await StateCommands(runtime: runtime).run(request), false)
        case let name where name.hasPrefix("audit."):
            return (try await AuditCommands(runtime: runtime, dispatcher: dispatcher).run(request), false)
        case let name where name.hasPrefix("privacy."): return (try await PrivacyCommands(runtime: runtime).run(request), false)
        default: throw ControlError.internalError("core command \(request.command) has no handler")
        }
    }

    /// `debug.hang`: blocks the serving event loop, the one that sends `WATCHDOG=1`, so that
    /// systemd's watchdog sees a hung daemon (`WatchdogSec=`, `Result=watchdog`). Every
    /// connection served by that loop hangs too. The reply goes out first.
    private func hang(seconds: Int?) throws(ControlError) -> Reply {
        guard let loop = runtime.watchdogLoop.withLock({ $0 }) else {
            throw .unavailable("the daemon is not serving yet")
        }
        let watchdog = runtime.notifier.watchdogInterval()
        let how = seconds.map { "for \($0) s" } ?? "until the daemon is killed"
        runtime.logger.warning("debug.hang: blocking the event loop that sends the watchdog pings \(how)", metadata: [
            "requested_by": "\(session.who)", "watchdog_usec": "\(watchdog.map { "\($0.components.seconds * 1_000_000 + $0.components.attoseconds / 1_000_000_000_000)" } ?? "none")",
            "message_id": "\(MessageID.debugHang)",
        ])
        // Later than the reply's write on any loop, so the caller sees the answer.
        loop.scheduleTask(in: .milliseconds(200)) {
            if let seconds {
                var left = UInt32(seconds)
                while left > 0 { left = sleep(left) }
            } else {
                while true { sleep(3600) }
            }
        }
        let data: JSON = ["seconds": seconds.map { .number($0) } ?? .null, "watchdog": .bool(watchdog != nil)]
        let note = watchdog == nil ? " (no watchdog is armed: WATCHDOG_USEC is not set)" : ""
        let text = "hanging the watchdog's event loop \(how)" + note
        return Reply(data: data, lines: [text], message: "hanging")
    }

    private func hello(_ request: Request) -> Reply {
        if let format = request.string("format").flatMap(ReplyFormat.init(rawValue:)) { session.format = format }
        if let client = request.string("client") { session.client = client }
        if let lang = request.string("lang") { session.setLanguage(lang, glossary: dispatcher.glossaryZh) }
        let config = runtime.config.daemon
        let plugins = runtime.host.states().filter { $0.state == .running }.map { JSON.string($0.type.id) }
        return Reply(data: [
            "proto": .number(DoorstepVersion.proto),
            "daemon": "doorstepd",
            "version": .string(DoorstepVersion.release),
            "capabilities": ["tags", "pipelining", "json", "events", "heredoc", "lang", "report"],
            "lang": .string(session.lang),
            "plugins": .array(plugins),
            "role": .string(session.caller.role.description),
            "uid": .number(session.caller.uid),
            "format": .string(session.format.rawValue),
            "limits": [
                "max_line_bytes": .number(config.maxLineBytes), "max_body_bytes": .number(config.maxBodyBytes),
                "idle_timeout_seconds": .number(config.idleTimeoutSeconds),
            ],
        ], message: "hello")
    }

    private func help(_ words: [String]) throws(ControlError) -> Reply {
        let visible = dispatcher.names.filter(isVisible)
        let zh = session.lang == "zh-CN"
        func summary(_ spec: CommandSpec) -> String { zh ? spec.summaryZh ?? spec.summary : spec.summary }
        func list(_ names: [String], _ message: String) -> Reply {
            let rows = names.map { name -> JSON in
                let spec = dispatcher.routes[name]!.spec
                return ["command": .string(name), "role": .string(spec.role.description), "summary": .string(summary(spec))]
            }
            return Reply(data: .array(rows), message: message)
        }
        if words.isEmpty {
            return list(visible, zh ? "共 \(visible.count) 个命令；'help 命令' 查看用法，'help 模块' 列出模块的命令"
                                    : "\(visible.count) commands; 'help COMMAND' for one, 'help MODULE' for a module's")
        }
        // `help visits`: a module's (or namespace's) commands, when no command has that name.
        if words.count == 1, dispatcher.routes[words[0]] == nil {
            let inNamespace = visible.filter { $0.hasPrefix(words[0] + ".") }
            if !inNamespace.isEmpty {
                return list(inNamespace, zh ? "\(words[0])：\(inNamespace.count) 个命令" : "\(words[0]): \(inNamespace.count) commands")
            }
        }
        let (route, _) = try dispatcher.resolve(words.map(Argument.positional))
        let spec = route.spec
        var lines = [(zh ? "用法：" : "usage: ") + spec.usage, summary(spec), (zh ? "角色：" : "role: ") + "\(spec.role)",
                     (zh ? "示例：" : "example: ") + spec.exampleLine]
        for arg in spec.arguments {
            let need = arg.required ? (zh ? "必填" : "required") : (zh ? "可选" : "optional")
            lines.append("  \(arg.name)  \(arg.kind.rawValue) \(arg.type.name) \(need)" + (arg.summary.isEmpty ? "" : " — \(arg.summary)"))
        }
        var data = Self.describe(spec, plugin: pluginID(of: route), fields: sensitiveFields(of: route))
        if case .object(var fields) = data {
            fields.append(("example", .string(spec.exampleLine)))
            if zh { fields.append(("summary_zh", .string(summary(spec)))) }
            data = .object(fields)
        }
        return Reply(data: data, lines: lines, message: spec.name)
    }

    private func isVisible(_ name: String) -> Bool {
        guard dispatcher.offered(name) else { return false }
        guard case .plugin(let id, _) = dispatcher.routes[name]! else { return true }
        return runtime.host.plugin(id).state != .disabled
    }

    private func pluginID(of route: Dispatcher.Route) -> String? {
        if case .plugin(let id, _) = route { return id }
        return nil
    }

    /// The machine-readable description of one command (`commands`, `help NAME` in JSON).
    /// The sensitive fields declared by the plugin answering `route` (none for core commands).
    private func sensitiveFields(of route: Dispatcher.Route) -> [SensitiveField] {
        guard let id = pluginID(of: route) else { return [] }
        return runtime.host.registry.first { $0.id == id }?.sensitiveFields ?? []
    }

    static func describe(_ spec: CommandSpec, plugin: String?, fields: [SensitiveField] = []) -> JSON {
        let args = spec.arguments.map { arg -> JSON in
            var fields: [(String, JSON)] = [
                ("name", .string(arg.name)), ("kind", .string(arg.kind.rawValue)), ("type", .string(arg.type.name)),
                ("required", .bool(arg.required)), ("variadic", .bool(arg.variadic)),
            ]
            if case .choice(let values) = arg.type { fields.append(("values", .array(values.map(JSON.string)))) }
            if case .int(let lo, let hi) = arg.type {
                fields.append(("min", lo.map { .number($0) } ?? .null))
                fields.append(("max", hi.map { .number($0) } ?? .null))
            }
            fields.append(("summary", .string(arg.summary)))
            fields.append(("sensitivity", .optional(arg.sensitivity?.rawValue)))
            return .object(fields)
        }
        return [
            "name": .string(spec.name), "plugin": .optional(plugin), "summary": .string(spec.summary),
            "role": .string(spec.role.description), "body": .string(spec.body.rawValue),
            "body_encoding": spec.body == .none ? .null : .string(spec.bodyEncoding.rawValue), "mutates": .bool(spec.mutates),
            "usage": .string(spec.usage), "args": .array(args),
            "sensitive_fields": .object(Sensitivity.allCases.compactMap { level in
                let keys = fields.filter { $0.sensitivity == level }.map(\.key)
                return keys.isEmpty ? nil : (level.rawValue, .array(keys.map(JSON.string)))
            }),
        ]
    }

    private func commands() -> Reply {
        let list = dispatcher.names.filter(isVisible).map { name -> JSON in
            let route = dispatcher.routes[name]!
            return Self.describe(route.spec, plugin: pluginID(of: route), fields: sensitiveFields(of: route))
        }
        let lines = dispatcher.names.filter(isVisible).map { dispatcher.routes[$0]!.spec.usage }
        return Reply(data: .array(list), lines: lines, message: "\(list.count) commands").zh("\(list.count) 个命令")
    }

    private func status() -> Reply {
        let config = runtime.config
        let uptime = (ContinuousClock.now - runtime.startedMonotonic).components.seconds
        let plugins = runtime.host.states().map { entry -> JSON in
            ["id": .string(entry.type.id), "state": .string(entry.state.name)]
        }
        return Reply(data: [
            "version": .string(DoorstepVersion.release),
            "pid": .number(getpid()),
            "uptime_seconds": .number(uptime),
            "started_at": .string(ValueParser.iso8601(runtime.startedAt)),
            "config": .optional(config.file),
            "socket": .string(runtime.socketPath),
            "plugins": .array(plugins),
            "connections": [
                "open": .number(runtime.openConnections.load(ordering: .relaxed)),
                "max": .number(config.daemon.maxConnections),
                "accepted": .number(runtime.acceptedConnections.load(ordering: .relaxed)),
            ],
            "events": ["seq": .number(runtime.hub.lastSeq)],
            "fsync": .string(config.daemon.state.fsync == .always ? "always" : "off (NOT durable: tests and benchmarks only)"),
            "state": ["dir": .string(config.daemon.stateDir), "bytes": .number(FileIO.treeSize(config.daemon.stateDir))],
        ], message: "ok")
    }

    private func plugins() async -> Reply {
        var rows: [JSON] = []
        for (type, state) in runtime.host.states() {
            var detail: JSON = .null
            if let plugin = runtime.host.plugin(type.id).plugin, state == .running { detail = await plugin.status() }
            var reason: JSON = .null
            if case .failed(let why) = state { reason = .string(why) }
            rows.append([
                "id": .string(type.id), "enabled": .bool(state != .disabled), "state": .string(state.name),
                "commands": .number(type.commandSpecs.count), "summary": .string(type.summary), "error": reason,
                "detail": detail,
            ])
        }
        let lines = TextRenderer.table(
            header: ["plugin", "state", "commands", "summary"],
            rows: runtime.host.states().map { [$0.type.id, $0.state.name, String($0.type.commandSpecs.count), $0.type.summary] })
        return Reply(data: .array(rows), lines: lines, message: "\(rows.count) plugins").zh("\(rows.count) 个插件")
    }
}
