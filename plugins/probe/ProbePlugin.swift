import Foundation
public import PluginAPI

/// Exercises the plugin API end to end for the integration tests.
public actor ProbePlugin: StatefulPlugin {
    public static let id = "probe"
    public static let summary = "test plugin: echo, events, timers, bodies, failures"
    public static let enabledByDefault = false
    public static let commands: [CommandSpec] = [
        CommandSpec("probe.echo", summary: "echo the words back", arguments: [
            .positional("text", required: true, variadic: true, summary: "words to echo"),
            .named("upper", .bool, summary: "upper-case the text"),
        ]),
        CommandSpec("probe.publish", summary: "publish the event probe.NAME", role: .operator, arguments: [
            .positional("name", summary: "event name after 'probe.'"),
            .named("text", summary: "payload text"),
            .named("need", .int(min: 1), summary: "a need id, for need.fulfilled events"),
        ]),
        CommandSpec("probe.sleep", summary: "answer after a delay", arguments: [
            .named("ms", .int(min: 0, max: 60_000), required: true, summary: "milliseconds"),
        ]),
        CommandSpec("probe.fail", summary: "fail as the daemon would (500)"),
        CommandSpec("probe.config", summary: "show the plugin's config and start generation"),
        CommandSpec("probe.body", summary: "count the body's bytes and lines", body: .required),
        CommandSpec("probe.timer", summary: "publish probe.timer.fired after a delay", role: .operator, arguments: [
            .named("after", .duration, required: true, summary: "delay"),
            .named("name", summary: "label carried in the event"),
        ]),
        CommandSpec("probe.table", summary: "a table with Chinese names, for alignment"),
        CommandSpec("probe.set", summary: "durably set a key (a journal event)", role: .operator, arguments: [
            .positional("key", summary: "key"), .positional("value", summary: "value"),
        ], mutates: true),
        CommandSpec("probe.del", summary: "durably delete a key", role: .operator, arguments: [
            .positional("key", summary: "key"),
        ], mutates: true),
        CommandSpec("probe.get", summary: "read a key", arguments: [.positional("key", summary: "key")]),
        CommandSpec("probe.dump", summary: "every key and value, sorted, with a checksum of the whole state"),
        CommandSpec("probe.alarm", summary: "a persistent timer: at TIME, key alarm:NAME counts the firings", role: .operator,
                    arguments: [.positional("name", summary: "alarm name"), .named("at", .time, required: true, summary: "due time")]),
    ]

    private struct Settings: Sendable {
        var greeting: String
        var reloadInPlace: Bool

        init(_ config: PluginConfig) throws(ConfigError) {
            greeting = try config.string("greeting", default: "你好")
            reloadInPlace = try config.bool("reload_in_place", default: true)
            if greeting.isEmpty { throw ConfigError(key: "greeting", "must not be empty") }
        }
    }

    private var settings: Settings
    private var reloads = 0
    private let context: PluginContext
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
    struct SetValueV1: Codable {
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

    public func apply(_ event: RecordedEvent) throws {
        switch (event.type, event.version) {
        case ("set", 1):
            let old = try event.decode(SetValueV1.self)
            values[old.k] = old.v
        case ("set", 2):
            let set = try event.decode(SetValue.self)
            values[set.key] = set.value
        case ("del", 1):
            values.removeValue(forKey: try event.decode(DeleteValue.self).key)
        default:
            throw ControlError.internalError("probe cannot apply \(event.type) v\(event.version)")
        }
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

    private struct Failure: Error {}

    public func handle(_ request: Request) async throws -> Reply {
        switch request.command {
        case "probe.echo":
            var text = request.rest.joined(separator: " ")
            if try request.bool("upper") == true { text = text.uppercased() }
            return Reply(data: ["text": .string(text)], lines: [text])
        case "probe.publish":
            let name = "probe." + (request.string("name") ?? "announce")
            var payload: [(String, JSON)] = [("text", .optional(request.string("text")))]
            if let need = try request.int("need") { payload.append(("need", .number(need))) }
            let seq = try context.events.publish(name, .object(payload))
            return Reply(data: ["event": .string(name), "seq": .number(seq)], message: "published \(name)")
        case "probe.sleep":
            try await Task.sleep(for: .milliseconds(try request.int("ms") ?? 0))
            return .message("slept")
        case "probe.fail":
            throw Failure()
        case "probe.config":
            return Reply(data: ["greeting": .string(settings.greeting), "reloads": .number(reloads)])
        case "probe.body":
            let body = request.body ?? ""
            let lines = body.split(separator: "\n", omittingEmptySubsequences: false).count - 1
            return Reply(data: ["bytes": .number(body.utf8.count), "lines": .number(lines), "body": .string(body)],
                         lines: ["bytes: \(body.utf8.count)", "lines: \(lines)"])
        case "probe.timer":
            let label = request.string("name") ?? "timer"
            let events = context.events
            context.timers.schedule(label, .after(try request.duration("after") ?? .zero)) {
                _ = try? events.publish("probe.timer.fired", ["name": .string(label)])
            }
            return .message("scheduled \(label)")
        case "probe.set":
            let key = request.string("key")!, value = request.string("value")!
            let seq = try await record(SetValue(key: key, value: value, by: request.caller.uid))
            return Reply(data: ["key": .string(key), "seq": .number(seq)], lines: [], message: "set \(key) at seq \(seq)")
        case "probe.del":
            let key = request.string("key")!
            guard values[key] != nil else { throw ControlError.notFound("key \(key) does not exist") }
            let seq = try await record(DeleteValue(key: key))
            return Reply(data: ["key": .string(key), "seq": .number(seq)], lines: [], message: "deleted \(key) at seq \(seq)")
        case "probe.get":
            let key = request.string("key")!
            guard let value = values[key] else { throw ControlError.notFound("key \(key) does not exist") }
            return Reply(data: ["key": .string(key), "value": .string(value)], lines: [value])
        case "probe.dump":
            let rows = values.sorted { $0.key < $1.key }.map { JSON.object([("key", .string($0.key)), ("value", .string($0.value))]) }
            return Reply(data: ["count": .number(values.count), "digest": .string(digest), "values": .array(rows)],
                         lines: ["count: \(values.count)", "digest: \(digest)"])
        case "probe.alarm":
            let name = request.string("name")!, due = try request.time("at")!
            try await context.timers.persist(name, at: due)
            return .message("alarm \(name) at \(ValueParser.iso8601(due))")
        case "probe.table":
            return Reply(data: [
                ["household": "3-2-501", "name": "王芳", "people": 3],
                ["household": "12-1-1102", "name": "欧阳建国", "people": 1],
                ["household": "7-3-201", "name": "Li Na", "people": 4],
            ])
        default:
            throw ControlError.unknownCommand("probe has no command \(request.command)")
        }
    }
}
