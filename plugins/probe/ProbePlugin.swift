public import PluginAPI

/// Exercises the plugin API end to end for the integration tests.
public actor ProbePlugin: DoorstepPlugin {
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

    public func status() async -> JSON {
        ["greeting": .string(settings.greeting), "reloads": .number(reloads)]
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
            let seq = try context.events.publish(name, ["text": .optional(request.string("text"))])
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
