import PluginAPI
import PluginSupport

/// `audit.list`: the audit trail, for admins (docs/protocol.md §8, "The audit trail").
struct AuditCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("audit.list", summary: "the audit trail: changes and reads of personal data, by whom, when, with what outcome",
                    role: .admin, arguments: [
            .named("since", .time, summary: "records at or after this time or date (the community's zone unless an offset is given)"),
            .named("user", summary: "one caller: a uid or a user name"),
            .named("plugin", summary: "one plugin's commands (core: the daemon's own)"),
            .named("command", .pattern, summary: "one command, or a pattern such as visits.*"),
            .named("after", .int(min: 0), summary: "records after this id: the next page (see next)"),
            .named("limit", .int(min: 1, max: AuditQuery.maxLimit), summary: "at most this many records (default 100)"),
        ]).zh("审计记录：谁在何时修改了什么、读取了哪些个人信息、结果如何").example("audit.list since=2022-01-12 user=liumin command=visits.*"),
    ]

    let runtime: DaemonRuntime
    let dispatcher: Dispatcher

    func run(_ request: Request) async throws -> Reply {
        guard let log = runtime.audit else { throw ControlError.unavailable("the audit log is not open in this process") }
        let query = try query(from: request, log: log)
        // Off the connection's event loop: a long log is read for a while, and the other
        // connections that loop serves must not wait for it.
        let (records, next) = try await Task.detached { try query.run(on: log) }.value
        let rows = records.map(Self.json)
        var message = "\(records.count) audit record" + (records.count == 1 ? "" : "s")
        if let next { message += " (more: audit.list after=\(next) with the same filters)" }
        let lines = AuditText.lines(records)
        return Reply(data: ["records": .array(rows), "next": next.map { .number($0) } ?? .null], lines: lines, message: message)
    }

    /// The request's filters, each checked with a message saying what to give instead.
    private func query(from request: Request, log: AuditLog) throws(ControlError) -> AuditQuery {
        var q = AuditQuery()
        if let raw = request.string("since") {
            // The host checked the form already; this reads it in the community's zone.
            guard let t = ValueParser.time(raw) else {
                throw .invalidArgument("argument 'since': '\(ValueParser.shown(raw))' is not a time (such as 2022-01-12 or 2022-01-12T08:00+08:00)")
            }
            q.since = t
        }
        if let user = request.string("user") {
            guard let uid = Identity.userID(user) else {
                throw .invalidArgument("argument 'user': no user '\(ValueParser.shown(user))' on this machine; give a uid or an existing user name")
            }
            q.uid = uid
        }
        if let plugin = request.string("plugin") {
            let ids = ["core"] + runtime.host.registry.map { $0.id }
            guard ids.contains(plugin) else {
                throw .invalidArgument("argument 'plugin': unknown plugin '\(ValueParser.shown(plugin))'; plugins are \(ids.joined(separator: ", "))")
            }
            q.plugin = plugin
        }
        if let command = request.string("command") {
            let known = dispatcher.names + ["audit.damaged"]
            guard known.contains(where: { EventPattern.matches(command, $0) }) else {
                var message = "argument 'command': '\(ValueParser.shown(command))' matches no command"
                if let best = Suggest.closest(to: [command], among: known) { message += " (did you mean '\(best)'?)" }
                throw .invalidArgument(message + "; give a command name or a pattern such as visits.*")
            }
            q.command = command
        }
        if let after = try request.int("after") {
            let last = log.lastID
            guard UInt64(after) <= last else {
                throw .invalidArgument("argument 'after': \(after) is beyond the last audit record \(last)")
            }
            q.after = UInt64(after)
        }
        q.limit = try request.int("limit") ?? 100
        return q
    }

    static func json(_ r: AuditRecord) -> JSON {
        [
            "id": .number(r.id), "time": .string(ValueParser.iso8601(r.timeMillis / 1000)), "uid": .number(r.uid),
            "user": .string(r.user), "pid": .number(r.pid), "role": .string(r.role), "command": .string(r.command),
            "plugin": .string(r.plugin), "kind": .string(r.kind.rawValue), "args": .object(r.args),
            "body_bytes": r.bodyBytes.map { .number($0) } ?? .null, "code": .number(r.code), "error": .optional(r.error),
        ]
    }
}

/// The text form of `audit.list`: one aligned line per record.
enum AuditText {
    static func lines(_ records: [AuditRecord]) -> [String] {
        let rows = records.map { r -> [String] in
            let args = r.args.map { name, value -> String in
                if case .string(let s) = value { return "\(name)=\(s)" }
                return "\(name)=\(value.serialized)"
            }.joined(separator: " ") + (r.bodyBytes.map { " <<\($0) bytes" } ?? "")
            return [String(r.id), ValueParser.display(r.timeMillis / 1000), "\(r.user)(\(r.uid))", r.role,
                    String(r.code) + (r.error.map { " " + $0 } ?? ""), r.command, args]
        }
        return TextRenderer.table(header: ["id", "time", "user", "role", "code", "command", "args"], rows: rows)
    }
}
