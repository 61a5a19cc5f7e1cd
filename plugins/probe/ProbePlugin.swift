import Foundation
public import PluginAPI
import PluginSupport

/// Exercises the plugin API end to end for the integration tests.
public actor ProbePlugin: StatefulPlugin {
    public static let id = "probe"
    public static let summary = "test plugin: echo, events, timers, bodies, failures"
    public static let enabledByDefault = false
    public static let commands: [Command<ProbePlugin>] = [
        Command("probe.echo", summary: "echo the words back", arguments: [Args.text, Args.upper]) { probe, request in
            var text = try request[Args.text].joined(separator: " ")
            if try request[Args.upper] == true { text = text.uppercased() }
            return Reply(data: ["text": .string(text)], lines: [text])
        },
        Command("probe.publish", summary: "publish the event probe.NAME", role: .operator,
                arguments: [Args.eventName, Args.payloadText, Args.need]) { probe, request in
            try await probe.publish(request)
        },
        Command("probe.sleep", summary: "answer after a delay", arguments: [Args.ms]) { _, request in
            try await Task.sleep(for: .milliseconds(try request[Args.ms]))
            return .message("slept")
        },
        Command("probe.fail", summary: "fail as the daemon would (500)") { _, _ in throw Failure() },
        Command("probe.config", summary: "show the plugin's config and start generation") { probe, _ in await probe.configReply() },
        Command("probe.body", summary: "count the body's bytes and lines", body: .required) { _, request in
            let body = request.body ?? ""
            let lines = body.split(separator: "\n", omittingEmptySubsequences: false).count - 1
            return Reply(data: ["bytes": .number(body.utf8.count), "lines": .number(lines), "body": .string(body)],
                         lines: ["bytes: \(body.utf8.count)", "lines: \(lines)"])
        },
        Command("probe.timer", summary: "publish probe.timer.fired after a delay", role: .operator,
                arguments: [Args.after, Args.label]) { probe, request in
            let label = try request[Args.label] ?? "timer"
            let events = probe.context.events
            probe.context.timers.schedule(label, .after(try request[Args.after])) {
                _ = try? events.publish("probe.timer.fired", ["name": .string(label)])
            }
            return .message("scheduled \(label)")
        },
        Command("probe.table", summary: "a table with Chinese names, for alignment") { _, _ in
            Reply(data: [
                ["household": "3-2-501", "name": "王芳", "people": 3],
                ["household": "12-1-1102", "name": "欧阳建国", "people": 1],
                ["household": "7-3-201", "name": "Li Na", "people": 4],
            ])
        },
        Command("probe.set", summary: "durably set a key (a journal event)", role: .operator, arguments: [Args.key, Args.value],
                mutates: true) { probe, request in
            try await probe.set(try request[Args.key], try request[Args.value], by: request.caller.uid)
        },
        Command("probe.del", summary: "durably delete a key", role: .operator, arguments: [Args.key], mutates: true) { probe, request in
            try await probe.delete(try request[Args.key])
        },
        Command("probe.get", summary: "read a key", arguments: [Args.key]) { probe, request in try await probe.get(try request[Args.key]) },
        Command("probe.dump", summary: "every key and value, sorted, with a checksum of the whole state") { probe, _ in await probe.dump() },
        Command("probe.alarm", summary: "a persistent timer: at TIME, key alarm:NAME counts the firings", role: .operator,
                arguments: [Args.alarm, Args.at]) { probe, request in
            let name = try request[Args.alarm], due = try request[Args.at]
            try await probe.context.timers.persist(name, at: due)
            return .message("alarm \(name) at \(ValueParser.display(due))")
        },
    ]

    /// The arguments of the commands above, each declared once.
    enum Args {
        static let text = Arg.words("text", summary: "words to echo")
        static let upper = Arg.named("upper", .bool, summary: "upper-case the text")
        static let eventName = Arg.positional("name", summary: "event name after 'probe.'")
        static let payloadText = Arg.named("text", summary: "payload text")
        static let need = Arg.named("need", .int(min: 1), summary: "a need id, for need.fulfilled events")
        static let ms = Arg.required("ms", .int(min: 0, max: 60_000), summary: "milliseconds")
        static let after = Arg.required("after", .duration, summary: "delay")
        static let label = Arg.named("name", summary: "label carried in the event")
        static let key = Arg.positional("key", summary: "key")
        static let value = Arg.positional("value", summary: "value")
        static let alarm = Arg.positional("name", summary: "alarm name")
        static let at = Arg.required("at", .time, summary: "due time")
    }

    private struct Settings: Sendable {
        var greeting: String
        var reloadInPlace: Bool
        /// How long a reload in place takes (`reload_delay_ms`): makes `systemctl reload`
        /// waiting for the reload's end visible (Tests/system).
        var reloadDelayMs: Int

        init(_ config: PluginConfig) throws(ConfigError) {
            greeting = try config.string("greeting", default: "你好")
            reloadInPlace = try config.bool("reload_in_place", default: true)
            reloadDelayMs = try config.int("reload_delay_ms", default: 0, range: 0...60_000)
            if greeting.isEmpty { throw ConfigError(key: "greeting", "must not be empty") }
        }
    }

    private var settings: Settings
    private var reloads = 0
    let context: PluginContext
    /// The durable state: a key-value map built only from journal events.
    private var values: [String: String] = [:]
    private var lastSeq: UInt64 = 0

    public nonisolated var stateService: any StateService { context.state }

    public init(config: PluginConfig, context: PluginContext) throws {
        self.settings = try Settings(config)
        self.context = context
    }

    public func reload(_ config: PluginConfig) async throws -> Bool {
        let next = try Settings(config)
        guard settings.reloadInPlace, next.reloadInPlace else { return false }
        if next.reloadDelayMs > 0 { try await Task.sleep(for: .milliseconds(next.reloadDelayMs)) }
        settings = next
        reloads += 1
        return true
    }

    /// Version 2 of the set event.
    struct SetValue: StateEvent {
        static let eventType = "set"
        static let schemaVersion = 2
        var key: String
        var value: String
        var by: UInt32?
    }

    /// Version 1 of the set event, as older journals hold it.
    struct SetValueV1: StateEvent {
        static let eventType = "set"
        static let schemaVersion = 1
        var k: String
        var v: String
    }

    struct DeleteValue: StateEvent {
        static let eventType = "del"
        static let schemaVersion = 1
        var key: String
    }

    /// Most replayed records set a key: size the table once per segment.
    public func willReplay(count: Int) { values.reserveCapacity(values.count + count) }

    /// The journal records of this plugin, each type and version with the function applying it.
    static let events = EventHandlers<[String: String]>(
        .on(SetValueV1.self) { values, old, _ in values[old.k] = old.v },
        .on(SetValue.self) { values, set, _ in values[set.key] = set.value },
        .on(DeleteValue.self) { values, delete, _ in values.removeValue(forKey: delete.key) }
    )

    public func apply(_ event: RecordedEvent) throws {
        try Self.events.apply(event, to: &values)
        lastSeq = event.seq
    }

    public func encodeSnapshot() throws -> [UInt8] { try SnapshotJSON.encode(values) }

    public func restoreSnapshot(_ bytes: [UInt8]?) throws { values = try SnapshotJSON.decode([String: String].self, bytes, empty: [:]) }

    /// FNV-1a over the sorted state, so tests compare whole states cheaply.
    private var digest: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (k, v) in values.sorted(by: { $0.key < $1.key }) {
            for b in Array(k.utf8) + [0] + Array(v.utf8) + [0] { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return String(h, radix: 16)
    }

    public func persistentTimerFired(_ name: String) async {
        let key = "alarm:" + name
        let count = values[key].flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        _ = try? await record(SetValue(key: key, value: "fired \(count + 1)", by: nil))
    }

    public func status() async -> JSON {
        ["greeting": .string(settings.greeting), "reloads": .number(reloads), "keys": .number(values.count)]
    }

    struct Failure: Error {}

    func publish(_ request: Request) throws -> Reply {
        let name = "probe." + (try request[Args.eventName])
        var payload: [(String, JSON)] = [("text", .optional(try request[Args.payloadText]))]
        if let need = try request[Args.need] { payload.append(("need", .number(need))) }
        let seq = try context.events.publish(name, .object(payload))
        return Reply(data: ["event": .string(name), "seq": .number(seq)], message: "published \(name)")
    }

    func configReply() -> Reply { Reply(data: ["greeting": .string(settings.greeting), "reloads": .number(reloads)]) }

    func set(_ key: String, _ value: String, by uid: UInt32) async throws -> Reply {
        let seq = try await record(SetValue(key: key, value: value, by: uid))
        return Reply(data: ["key": .string(key), "seq": .number(seq)], lines: [], message: "set \(key) at seq \(seq)")
    }

    func delete(_ key: String) async throws -> Reply {
        guard values[key] != nil else { throw ControlError.notFound("key \(key) does not exist") }
        let seq = try await record(DeleteValue(key: key))
        return Reply(data: ["key": .string(key), "seq": .number(seq)], lines: [], message: "deleted \(key) at seq \(seq)")
    }

    func get(_ key: String) throws -> Reply {
        guard let value = values[key] else { throw ControlError.notFound("key \(key) does not exist") }
        return Reply(data: ["key": .string(key), "value": .string(value)], lines: [value])
    }

    func dump() -> Reply {
        let rows = values.sorted { $0.key < $1.key }.map { JSON.object([("key", .string($0.key)), ("value", .string($0.value))]) }
        return Reply(data: ["count": .number(values.count), "digest": .string(digest), "values": .array(rows)],
                     lines: ["count: \(values.count)", "digest: \(digest)"])
    }
}
