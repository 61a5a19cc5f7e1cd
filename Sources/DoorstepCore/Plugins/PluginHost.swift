public import PluginAPI
import Synchronization

/// Creates, runs, reloads and stops the plugins; the one place that knows plugin lifecycles.
///
/// Creation has no side effects, so validating a config (`--check-config`, `reload`) is just
/// creating its plugins and throwing them away.
public final class PluginHost: Sendable {
    /// The state of one plugin, as `plugins` and `status` report it.
    public enum State: Sendable, Equatable {
        case running
        case failed(String)
        case stopped
        case disabled

        var name: String {
            switch self {
            case .running: return "running"
            case .failed: return "failed"
            case .stopped: return "stopped"
            case .disabled: return "disabled"
            }
        }
    }

    /// A created plugin with the host services made for it.
    struct Instance: Sendable {
        let plugin: any DoorstepPlugin
        let bus: PluginEventBus
        let timers: PluginTimers
        let config: PluginConfig
    }

    struct Slot {
        var instance: Instance?
        var task: Task<Void, Never>?
        var state: State
    }

    /// Every plugin linked into this binary, in registration order.
    public let registry: [any DoorstepPlugin.Type]
    let hub: EventHub
    let logger: Logger
    private let slots = Mutex<[String: Slot]>([:])

    public init(registry: [any DoorstepPlugin.Type], hub: EventHub, logger: Logger) {
        self.registry = registry
        self.hub = hub
        self.logger = logger
    }

    /// Ids of the registered plugins.
    public var ids: [String] { registry.map { $0.id } }

    static func isEnabled(_ type: any DoorstepPlugin.Type, _ config: DaemonConfig) -> Bool {
        config.plugins[type.id]?.enabled ?? type.enabledByDefault
    }

    /// Creates every plugin that has a section or is enabled, validating its keys.
    ///
    /// - Returns: the enabled ones, not yet running.
    /// - Throws: the first invalid section, with its file position.
    func create(_ config: DaemonConfig) throws(ConfigFileError) -> [String: Instance] {
        var out: [String: Instance] = [:]
        for type in registry {
            let section = config.plugins[type.id]
            let enabled = Self.isEnabled(type, config)
            guard enabled || section != nil else { continue }
            let instance = try create(type, section: section, file: config.file ?? "(defaults)")
            if enabled { out[type.id] = instance }
        }
        return out
    }

    private func create(_ type: any DoorstepPlugin.Type, section: PluginSection?, file: String) throws(ConfigFileError) -> Instance {
        let id = type.id
        let config = PluginConfig(pluginID: id, values: section?.values ?? [:])
        var pluginLogger = logger
        pluginLogger[metadataKey: "plugin.id"] = "\(id)"
        let bus = PluginEventBus(pluginID: id, hub: hub)
        let timers = PluginTimers(logger: pluginLogger)
        let context = PluginContext(logger: pluginLogger, events: bus, timers: timers)
        let plugin: any DoorstepPlugin
        do {
            plugin = try type.init(config: config, context: context)
        } catch let error as ConfigError {
            let at = error.key.flatMap { section?.locations[$0] } ?? section?.location
            throw ConfigFileError(at, file: file, "[plugins.\(id)] \(error)")
        } catch {
            throw ConfigFileError(section?.location, file: file, "[plugins.\(id)] cannot be created: \(error)")
        }
        if let unknown = config.unreadKeys.first {
            throw ConfigFileError(section?.locations[unknown] ?? section?.location, file: file,
                                  "unknown key '\(unknown)' in [plugins.\(id)]")
        }
        return Instance(plugin: plugin, bus: bus, timers: timers, config: config)
    }

    /// Runs the given plugins and marks the others disabled.
    func start(_ instances: [String: Instance]) {
        for type in registry {
            if let instance = instances[type.id] {
                run(type.id, instance)
            } else {
                slots.withLock { $0[type.id] = Slot(instance: nil, task: nil, state: .disabled) }
            }
        }
    }

    private func run(_ id: String, _ instance: Instance) {
        let logger = self.logger
        slots.withLock { $0[id] = Slot(instance: instance, task: nil, state: .running) }
        let task = Task { [weak self] in
            var final: State = .stopped
            do {
                try await instance.plugin.run()
            } catch is CancellationError {
            } catch {
                if !Task.isCancelled {
                    logger.error("plugin failed", metadata: ["plugin.id": "\(id)", "error": "\(error)"])
                    final = .failed("\(error)")
                }
            }
            self?.slots.withLock { slots in
                if slots[id]?.instance?.plugin === instance.plugin { slots[id]?.state = final }
            }
        }
        slots.withLock { $0[id]?.task = task }
        logger.info("plugin started", metadata: ["plugin.id": "\(id)"])
    }

    /// Stops one plugin: cancels its run task, timers and subscriptions.
    func stop(_ id: String, newState: State = .stopped) async {
        guard let slot = slots.withLock({ $0[id] }) else { return }
        slot.task?.cancel()
        await slot.task?.value
        slot.instance?.timers.cancelAll()
        slot.instance?.bus.close()
        slots.withLock { $0[id] = Slot(instance: nil, task: nil, state: newState) }
        if slot.instance != nil { logger.info("plugin stopped", metadata: ["plugin.id": "\(id)"]) }
    }

    /// Stops every plugin, last registered first.
    func stopAll() async {
        for type in registry.reversed() { await stop(type.id) }
    }

    /// Applies a validated config: reload in place where the plugin agrees, else restart;
    /// start newly enabled plugins and stop disabled ones.
    ///
    /// - Returns: one line per change.
    func apply(_ candidates: [String: Instance]) async -> [String] {
        var changes: [String] = []
        for type in registry {
            let id = type.id
            let current = slots.withLock { $0[id] }
            let candidate = candidates[id]
            switch (current?.instance, candidate) {
            case (nil, nil):
                continue
            case (nil, let new?):
                run(id, new)
                changes.append("\(id): started")
            case (_?, nil):
                await stop(id, newState: .disabled)
                changes.append("\(id): stopped (disabled)")
            case (let old?, let new?):
                if current?.state == .running, (try? await old.plugin.reload(new.config)) == true {
                    changes.append("\(id): reloaded in place")
                } else {
                    await stop(id)
                    run(id, new)
                    changes.append("\(id): restarted")
                }
            }
        }
        return changes
    }

    /// The running plugin `id` and its state.
    func plugin(_ id: String) -> (plugin: (any DoorstepPlugin)?, state: State) {
        slots.withLock { ($0[id]?.instance?.plugin, $0[id]?.state ?? .disabled) }
    }

    /// Every registered plugin's state, in registration order.
    func states() -> [(type: any DoorstepPlugin.Type, state: State)] {
        let current = slots.withLock { $0 }
        return registry.map { ($0, current[$0.id]?.state ?? .disabled) }
    }
}
