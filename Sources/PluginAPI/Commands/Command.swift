/// One command of a plugin, declared once: name, arguments, role, help and the handler.
///
/// The host reads ``spec`` for `help`, `commands`, role checks and argument validation, binds the
/// request's arguments before calling the handler, and answers every bad argument itself, so a
/// handler reads typed values (`try request[household]`) and never unwraps one.
///
/// ```swift
/// static let household = Arg.positional("household", summary: "household id BUILDING-UNIT-ROOM")
/// static let commands: [Command<RosterPlugin>] = [
///     Command("roster.household.add", summary: "add a household", role: .operator,
///             arguments: [household], mutates: true) { plugin, request in
///         try await plugin.addHousehold(try request[household])
///     },
/// ]
/// ```
public struct Command<Plugin: DoorstepPlugin>: Sendable {
    /// How the handler is called.
    enum Handler: Sendable {
        /// In a task, through the plugin's actor: anything, including recording.
        case later(@Sendable (Plugin, Request) async throws -> Reply)
        /// At once, on the connection's event loop (see ``Command/immediate(_:summary:role:arguments:answer:)``).
        case now(@Sendable (Plugin, Request) throws -> Reply)
    }

    /// What the host validates and documents.
    public private(set) var spec: CommandSpec

    /// The same command with its Chinese summary (`help` on a `lang=zh-CN` connection).
    public func zh(_ summary: String) -> Command {
        var copy = self
        copy.spec = spec.zh(summary)
        return copy
    }

    /// The same command with a hand-written example for `help`.
    public func example(_ line: String) -> Command {
        var copy = self
        copy.spec = spec.example(line)
        return copy
    }
    let handler: Handler

    /// A command answered in a task through the plugin (the usual kind).
    ///
    /// - Parameters:
    ///   - name: `plugin.verb`; must start with the plugin's id and a dot.
    ///   - arguments: in order; positional ones are matched in this order.
    ///   - bodyEncoding: `.bytes` to read the body as ``Request/bodyBytes`` in any encoding.
    ///   - mutates: whether it changes state (documentation, `commands`).
    ///   - run: the handler. Throw ``ControlError`` for the caller (4xx) or the plugin (5xx);
    ///     any other error becomes `500 internal_error`.
    public init(
        _ name: String, summary: String, role: Role = .viewer, arguments: [any ArgumentDeclaration] = [],
        body: BodyUse = .none, bodyEncoding: BodyEncoding = .utf8, mutates: Bool = false,
        run: @escaping @Sendable (Plugin, Request) async throws -> Reply
    ) {
        spec = CommandSpec(name, summary: summary, role: role, arguments: arguments.map(\.spec), body: body,
                           bodyEncoding: bodyEncoding, mutates: mutates)
        handler = .later(run)
    }

    /// A read answered at once on the connection's event loop: no task, no actor hop.
    ///
    /// The host calls `answer` only with a validated request from a caller with the role, and
    /// only when the connection has no earlier request still being answered, so replies keep
    /// their order and a read sees the writes sent before it; otherwise it calls the same
    /// `answer` in a task. `answer` reads state kept in a ``LockedState``; it must not block,
    /// wait or do I/O, and should take well under a millisecond (other connections on the same
    /// event loop wait meanwhile). Scans of the whole state belong in an ordinary command.
    public static func immediate(
        _ name: String, summary: String, role: Role = .viewer, arguments: [any ArgumentDeclaration] = [],
        answer: @escaping @Sendable (Plugin, Request) throws -> Reply
    ) -> Command {
        Command(spec: CommandSpec(name, summary: summary, role: role, arguments: arguments.map(\.spec)), handler: .now(answer))
    }

    private init(spec: CommandSpec, handler: Handler) {
        self.spec = spec
        self.handler = handler
    }

    /// Whether the command may be answered on the event loop.
    public var isImmediate: Bool {
        if case .now = handler { return true }
        return false
    }
}

/// A command bound to one running plugin instance, as the host calls it: the handler no longer
/// needs to know the plugin's type. Host plumbing (`package`), not part of the contract.
package struct BoundCommand: Sendable {
    /// Answers in a task.
    package let run: @Sendable (Request) async throws -> Reply
    /// Answers at once on an event loop, for immediate commands.
    package let runNow: (@Sendable (Request) throws -> Reply)?
}

extension Command {
    /// This command with `plugin` as its receiver.
    func bound(to plugin: Plugin) -> BoundCommand {
        switch handler {
        case .later(let run):
            return BoundCommand(run: { try await run(plugin, $0) }, runNow: nil)
        case .now(let now):
            return BoundCommand(run: { try now(plugin, $0) }, runNow: { try now(plugin, $0) })
        }
    }
}

extension DoorstepPlugin {
    /// The specs of ``commands`` (for `help` and `commands` without an instance).
    package static var commandSpecs: [CommandSpec] {
        let zh = summariesZh
        return commands.map { command in
            guard command.spec.summaryZh == nil, let summary = zh[command.spec.name] else { return command.spec }
            return command.spec.zh(summary)
        }
    }

    /// Names of the commands declared with ``Command/immediate(_:summary:role:arguments:answer:)``.
    package static var immediateCommandNames: Set<String> { Set(commands.filter(\.isImmediate).map(\.spec.name)) }

    /// Every command bound to this instance, by name (the host makes this once per instance).
    package func boundCommands() -> [String: BoundCommand] {
        var out: [String: BoundCommand] = [:]
        for command in Self.commands where out[command.spec.name] == nil { out[command.spec.name] = command.bound(to: self) }
        return out
    }
}
