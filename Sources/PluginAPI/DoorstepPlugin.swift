/// A plugin sees the reply values (Reply, JSON, ControlError), not the wire protocol.
@_exported public import DoorstepValues
@_exported public import Logging

/// A module hosted by `doorstepd`, such as `visits` or `reading-promotion`.
///
/// Lifecycle (docs/plugins.md): the host creates the plugin from its config section with
/// ``init(config:context:)`` — which validates and has no side effects — then runs it as a
/// service of the daemon: ``run()`` until it is stopped, while the host calls the handlers of
/// ``commands``. On reload the host calls ``reload(_:)``; `false` means "restart me". Stopping
/// lets requests in flight finish, then cancels `run()`.
///
/// Plugins are actors or otherwise `Sendable` classes; they never open sockets, pick paths or
/// create loggers: everything comes from ``PluginContext``.
public protocol DoorstepPlugin: AnyObject, Sendable {
    /// Lowercase identifier: the config section (`[plugins.ID]`), the journal's records, `plugins`.
    static var id: String { get }
    /// The command and event namespace (`visits` for `visits.record`, `visits.need.opened`); the
    /// default is ``id``. A plugin whose id is long may declare a short one
    /// (`reading-promotion` answers `reading.*`); namespaces are unique among plugins.
    static var namespace: String { get }
    /// One line for `plugins` and `help`.
    static var summary: String { get }
    /// Whether the plugin runs when its config section does not say `enabled`.
    static var enabledByDefault: Bool { get }
    /// The commands this plugin answers, each declared once with its handler; names start
    /// with `id.` (``Command``).
    static var commands: [Command<Self>] { get }
    /// Read-only services this plugin offers other plugins while it runs (``ServiceOffer``).
    static var offers: [ServiceOffer<Self>] { get }
    /// Durable reactions to events other plugins announce with their committed changes (``EventReaction``).
    static var reactions: [EventReaction<Self>] { get }
    /// Chinese summaries of the commands by name, for `help` on a `lang=zh-CN` connection (a
    /// table beside the declarations; ``Command/zh(_:)`` on a declaration works too).
    static var summariesZh: [String: String] { get }
    /// Chinese labels for the keys of this plugin's replies (`campaign` → `排查轮次`), shown as
    /// `key: value` labels and table headers on a `lang=zh-CN` connection; JSON keys never
    /// change. The core's words for shared keys (`household`, `name`, `at`…) come first.
    static var glossaryZh: [String: String] { get }

    /// The fields of this plugin's reply and event data that hold personal, health or financial
    /// data: the host masks personal and health ones for viewers (``SensitiveField``,
    /// docs/protocol.md "Privacy"). The default declares none.
    static var sensitiveFields: [SensitiveField] { get }

    /// Creates the plugin. Must read and validate every key it accepts from `config` and have
    /// no side effects: keys it does not read are reported as unknown by the host.
    ///
    /// - Throws: ``ConfigError`` naming the bad key.
    init(config: PluginConfig, context: PluginContext) throws

    /// Background work until cancelled. The default waits for cancellation.
    func run() async throws

    /// Applies a new configuration in place; return `false` to be restarted instead.
    func reload(_ config: PluginConfig) async throws -> Bool

    /// Plugin-specific status for `plugins` and `status`.
    func status() async -> JSON

    /// A persistent timer set with ``TimerService/persist(_:at:)`` is due.
    func persistentTimerFired(_ name: String) async
}

extension DoorstepPlugin {
    public static var namespace: String { id }

    public static var enabledByDefault: Bool { true }

    public static var offers: [ServiceOffer<Self>] { [] }

    public static var reactions: [EventReaction<Self>] { [] }

    public static var summariesZh: [String: String] { [:] }

    public static var glossaryZh: [String: String] { [:] }

    public static var sensitiveFields: [SensitiveField] { [] }

    public func run() async throws {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
    }

    public func reload(_ config: PluginConfig) async throws -> Bool { false }

    public func status() async -> JSON { .null }

    public func persistentTimerFired(_ name: String) async {}
}
