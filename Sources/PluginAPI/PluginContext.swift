
/// What the host hands a plugin at creation. Plugins never create loggers, pick paths or open
/// sockets: everything they touch comes from here.
public struct PluginContext: Sendable {
    /// A logger labelled with the plugin's id.
    public var logger: Logger
    /// The event bus (publish in the plugin's namespace, subscribe to anything).
    public var events: any EventBus
    /// The plugin's timers.
    public var timers: any TimerService
    /// The durable journal this plugin records its changes through (``StatefulPlugin``).
    public var state: any StateService
    /// Read-only services of other plugins (``RosterDirectory``).
    public var services: any ServiceRegistry
    /// The wall clock: read the time here, never from `Date()`, so tests can set it.
    public var clock: any WallClock

    public init(logger: Logger, events: any EventBus, timers: any TimerService, state: any StateService,
                services: any ServiceRegistry = HostServices(), clock: any WallClock = SystemClock()) {
        self.logger = logger
        self.events = events
        self.timers = timers
        self.state = state
        self.services = services
        self.clock = clock
    }
}
