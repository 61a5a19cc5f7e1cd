import Glibc
public import PluginAPI
import PluginSupport
import Synchronization
public import DoorstepProtocol

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
        /// The plugin's commands bound to this instance, by name.
        let commands: [String: BoundCommand]
        let bus: PluginEventBus
        let timers: PluginTimers
        let config: PluginConfig
    }

    struct Slot {
        /// The config values in effect: the instance's, or the last one reloaded in place.
        var applied: [String: ConfigValue]?
        var instance: Instance?
        var runner: PluginRunner?
        var state: State
        /// Feeds the plugin's reactions from the journal (nil: it declares none).
        var reactions: ReactionRunner? = nil
    }

    /// Requests being handled and rebuilds in progress, per plugin.
    struct Activity {
        var inFlight: [String: Int] = [:]
        var recovering: Set<String> = []
        /// Plugins being stopped (disabled or the daemon stopping): new requests are refused.
        var stopping: Set<String> = []
        /// Waiting for a plugin's last request in flight to end (``drain(_:)``).
        var drainWaiters: [String: [(token: UInt64, continuation: CheckedContinuation<Void, Never>)]] = [:]
        /// Tells one drain's waiter from another's (a timed-out drain releases only its own).
        var nextDrainToken: UInt64 = 0
    }

    /// How long a stop or restart waits for requests in flight before it goes on anyway.
    static let drainLimit: Duration = .seconds(30)

    /// Every plugin linked into this binary, in registration order.
    public let registry: [any DoorstepPlugin.Type]
    /// What viewers see of each plugin's replies and events (the plugins' sensitive fields).
    let privacy: PrivacyPolicy
    let hub: EventHub
    let logger: Logger
    private let slots = Mutex<[String: Slot]>([:])
    private let activity = Mutex(Activity())
    /// The journal plugins record through; empty until the state store opens.
    let journalRef: JournalRef
    private let storeBox = Mutex<StateStore?>(nil)

    /// Runners handed to ``PluginSupervisor``, which runs them in the daemon's service group.
    let launches = Launches()

    /// Persistent timers of all plugins (host-owned state under the id `timers`).
    let persistentTimers: PersistentTimers
    /// Services plugins offer each other.
    let services = HostServices()
    /// Failures the daemon cannot go on from (reported by the journal and by rebuilds).
    let fatal = FatalStop()

    /// The wall clock every plugin reads (a manual one in tests).
    let clock: any WallClock
    private let zoneBox = Mutex(CommunityZone.system)

    /// The community's time zone (`[daemon] timezone`): set as ``CommunityZone/current`` around
    /// every request, reaction and timer the host runs.
    var zone: CommunityZone {
        get { zoneBox.withLock { $0 } }
        set { zoneBox.withLock { $0 = newValue } }
    }

    /// Runs `body` in the community's zone.
    func inZone<T>(_ body: () async throws -> T) async rethrows -> T {
        try await CommunityZone.$current.withValue(zone) {
            try await RequestClock.$now.withValue(clock.now()) { try await body() }
        }
    }

    public init(registry: [any DoorstepPlugin.Type], hub: EventHub, logger: Logger, clock: any WallClock = SystemClock()) {
        // A hook that exits without reading its standard input must not take the daemon with
        // it: writing to a closed pipe fails with EPIPE instead of raising SIGPIPE (sockets
        // already write with MSG_NOSIGNAL). Process-wide, so it is set once, here.
        signal(SIGPIPE, SIG_IGN)
        self.clock = clock
        self.registry = registry
        self.privacy = PrivacyPolicy(registry: registry)
        self.hub = hub
        self.logger = logger
        let ref = JournalRef()
        self.journalRef = ref
        let context = PluginContext(logger: logger, events: PluginEventBus(pluginID: PersistentTimers.id, hub: hub, ref: ref,
                                                                                     clock: clock),
                                    timers: PluginTimers(logger: logger),
                                    state: PluginStateService(pluginID: PersistentTimers.id, ref: ref, clock: clock), clock: clock)
        // Creating it cannot fail: it reads no config.
        self.persistentTimers = try! PersistentTimers(config: PluginConfig(pluginID: PersistentTimers.id, values: [:]), context: context)
        // For the hooks service: a hook without `personal = true` gets events masked.
        services.provide((any EventMasking).self, privacy)
    }

    /// Opens `store` for `plugins` (their state and the host's timers): committed batches go
    /// to the event hub once durable, a failed write rebuilds the plugins it touched, and the
    /// journal keeps what reacting plugins have not consumed.
    func open(_ store: StateStore, plugins: [String: Instance]) async throws -> StateStore.Recovery {
        self.store = store
        var stateful = plugins.compactMapValues { $0.plugin as? any StatefulPlugin }
        stateful[PersistentTimers.id] = persistentTimers
        var reacting: Set<String> = []
        for type in registry where !type.reactionPatterns.isEmpty { reacting.insert(type.id) }
        store.reacting.withLock { [reacting] in $0 = reacting }
        let hub = self.hub
        let recovery = try await store.open(plugins: stateful, onWriteFailure: { [weak self] ids, answer in
            Task {
                await self?.recoverAfterWriteFailure(ids)
                answer()
            }
        }, onDurable: { hub.deliver($0) })
        hub.resume(after: store.journal.durableSeq)
        return recovery
    }

    /// What each running plugin's reactions have done, by plugin id.
    func reactionStatus() -> [String: (cursor: UInt64, status: ReactionRunner.Status)] {
        let feeders = slots.withLock { $0.compactMapValues(\.reactions) }
        let cursors = journalRef.cursors.all
        return feeders.mapValues { (cursors[$0.id] ?? 0, $0.status) }
    }

    /// The open state store, once there is one.
    var store: StateStore? {
        get { storeBox.withLock { $0 } }
        set { storeBox.withLock { $0 = newValue } }
    }

    /// Checks the registry: unique lowercase ids, and command names unique and inside each
    /// plugin's namespace (a plugin must not shadow `reload` or another plugin's command).
    func validateRegistry() throws(ConfigFileError) {
        var seen: Set<String> = Set(CoreCommands.specs.map(\.name) + StateCommands.specs.map(\.name) + PrivacyCommands.specs.map(\.name))
        var ids: Set<String> = [PersistentTimers.id]
        // A namespace may be no other plugin's id or namespace: events and commands name one plugin.
        var namespaces: [String: String] = [:]
        for type in registry {
            let id = type.id
            guard !id.isEmpty, id.utf8.allSatisfy({ Lexer.isKeyByte($0) && $0 != UInt8(ascii: ".") }), ids.insert(id).inserted,
                id != "state", id != "privacy"
            else {
                throw ConfigFileError(nil, file: "(plugins)", "plugin id '\(id)' is invalid or used twice")
            }
            let space = type.namespace
            guard !space.isEmpty, space.utf8.allSatisfy({ Lexer.isKeyByte($0) && $0 != UInt8(ascii: ".") }), space != "state" else {
                throw ConfigFileError(nil, file: "(plugins)", "plugin \(id) declares namespace '\(space)', which is invalid")
            }
            for name in Set([id, space]) {
                if let other = namespaces[name], other != id {
                    throw ConfigFileError(nil, file: "(plugins)", "plugins \(other) and \(id) both use the name '\(name)'")
                }
                namespaces[name] = id
            }
            for spec in type.commandSpecs {
                guard spec.name.hasPrefix(space + "."), seen.insert(spec.name).inserted else {
                    throw ConfigFileError(nil, file: "(plugins)", "plugin \(id) declares command '\(spec.name)': "
                        + "names must start with '\(space).' and be unique")
                }
            }
        }
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
        let bus = PluginEventBus(pluginID: id, namespace: type.namespace, hub: hub, ref: journalRef, clock: clock)
        let timers = PluginTimers(logger: pluginLogger, pluginID: id, persistent: persistentTimers, clock: clock) { [weak self] in
            self?.zone ?? .system
        }
        let state: any StateService = store?.service(for: id, namespace: type.namespace, clock: clock)
            ?? PluginStateService(pluginID: id, namespace: type.namespace, ref: journalRef, clock: clock)
        let context = PluginContext(logger: pluginLogger, events: bus, timers: timers, state: state, services: services,
                                    clock: clock)
        let plugin: any DoorstepPlugin
        do {
            plugin = try type.init(config: config, context: context)
        } catch let error as ConfigError {
            let at = error.key.flatMap { section?.locations[$0] } ?? section?.location
            // A `[[hooks]]` entry's error names the entry, not the service's own section.
            let where_ = id == "hooks" && error.key?.hasPrefix("hooks.") == true ? "[[hooks]]" : "[plugins.\(id)]"
            throw ConfigFileError(at, file: file, "\(where_) \(error)")
        } catch {
            throw ConfigFileError(section?.location, file: file, "[plugins.\(id)] cannot be created: \(error)")
        }
        if let unknown = config.unreadKeys.first {
            throw ConfigFileError(section?.locations[unknown] ?? section?.location, file: file,
                                  "unknown key '\(unknown)' in [plugins.\(id)]")
        }
        return Instance(plugin: plugin, commands: plugin.boundCommands(), bus: bus, timers: timers, config: config)
    }

    /// Fresh instances of the registered stateful plugins that are not in `running`, for
    /// snapshotting the records of disabled plugins (creation has no side effects).
    func dormantStatefulPlugins(_ config: DaemonConfig, running: [String: Instance]) -> [String: any StatefulPlugin] {
        var out: [String: any StatefulPlugin] = [:]
        for type in registry where running[type.id] == nil {
            guard let instance = try? create(type, section: config.plugins[type.id], file: config.file ?? "(defaults)"),
                let stateful = instance.plugin as? any StatefulPlugin
            else { continue }
            out[type.id] = stateful
        }
        return out
    }

    /// Runs the given plugins and marks the others disabled.
    func start(_ instances: [String: Instance]) {
        for type in registry {
            if let instance = instances[type.id] {
                run(type.id, instance)
            } else {
                slots.withLock { $0[type.id] = Slot(instance: nil, runner: nil, state: .disabled) }
            }
        }
    }

    /// Hands a plugin to the supervisor as a service of its own; it serves at once.
    private func run(_ id: String, _ instance: Instance) {
        let plugin = instance.plugin
        // Subscribed now, before it serves: nothing committed once it answers is missed.
        var feeder: ReactionRunner?
        if !type(of: plugin).reactionPatterns.isEmpty, let store {
            feeder = ReactionRunner(id: id, plugin: plugin, store: store, hub: hub, logger: logger) { [weak self] in
                self?.zone ?? .system
            }
        }
        let loops: [@Sendable () async -> Void] = feeder.map { f in [{ await f.run() }] } ?? []
        let runner = PluginRunner(id: id, plugin: plugin, reactions: loops, logger: logger, zone: { [weak self] in self?.zone ?? .system }) {
            [weak self] final in
            self?.slots.withLock { slots in
                if slots[id]?.instance?.plugin === plugin { slots[id]?.state = final }
            }
        }
        // Offered before it serves, so no consumer races its run().
        plugin.provideServices(to: services)
        slots.withLock { $0[id] = Slot(instance: instance, runner: runner, state: .running, reactions: feeder) }
        launches.launch(runner)
        logger.info("plugin started", metadata: ["plugin.id": "\(id)"])
    }

    /// Stops one plugin: lets its requests in flight finish, stops its runner, timers and
    /// subscriptions.
    func stop(_ id: String, newState: State = .stopped) async {
        guard let slot = slots.withLock({ $0[id] }) else { return }
        activity.withLock { _ = $0.stopping.insert(id) }
        defer { activity.withLock { _ = $0.stopping.remove(id) } }
        await drain(id)
        await slot.runner?.stop()
        if let plugin = slot.instance?.plugin { type(of: plugin).withdrawServices(from: services) }
        slot.instance?.timers.cancelAll()
        slot.instance?.bus.close()
        slots.withLock { $0[id] = Slot(instance: nil, runner: nil, state: newState) }
        if slot.instance != nil { logger.info("plugin stopped", metadata: ["plugin.id": "\(id)"]) }
    }

    /// Waits until no request to `id` is in flight, or ``drainLimit`` has passed (a request
    /// stuck for that long does not hold a reload or a stop for ever).
    func drain(_ id: String) async {
        let token = activity.withLock { a in
            a.nextDrainToken += 1
            return a.nextDrainToken
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let idle = activity.withLock { a -> Bool in
                        if a.inFlight[id, default: 0] == 0 { return true }
                        a.drainWaiters[id, default: []].append((token, continuation))
                        return false
                    }
                    if idle { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: Self.drainLimit) }
            await group.next()
            group.cancelAll()
            // The sleep ends on cancellation; a drain that timed out is released here.
            releaseDrainWaiter(id, token)
            await group.waitForAll()
        }
    }

    private func releaseDrainWaiter(_ id: String, _ token: UInt64) {
        let mine = activity.withLock { a -> CheckedContinuation<Void, Never>? in
            guard let i = a.drainWaiters[id]?.firstIndex(where: { $0.token == token }) else { return nil }
            return a.drainWaiters[id]?.remove(at: i).continuation
        }
        mine?.resume()
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
                if let failure = await swap(id, old: nil, new: new) { changes.append(failure); continue }
                changes.append("\(id): started")
            case (_?, nil):
                await stop(id, newState: .disabled)
                changes.append("\(id): stopped (disabled)")
            case (let old?, let new?):
                // A section that did not change leaves its plugin alone: no restart, no 503s
                // for its clients, no state rebuilt.
                if current?.state == .running, (current?.applied ?? old.config.values) == new.config.values {
                    new.bus.close()
                    new.timers.cancelAll()
                    continue
                }
                if current?.state == .running, (try? await old.plugin.reload(new.config)) == true {
                    // Compared against next time: reverting to the first config is a change.
                    slots.withLock { $0[id]?.applied = new.config.values }
                    changes.append("\(id): reloaded in place")
                } else {
                    if let failure = await swap(id, old: old, new: new) { changes.append(failure); continue }
                    changes.append("\(id): restarted")
                }
            }
        }
        return changes
    }

    /// Loads a new instance's state from disk before it serves; nil on success.
    private func restoreState(_ id: String, _ instance: Instance) async -> String? {
        guard let stateful = instance.plugin as? any StatefulPlugin, let store else { return nil }
        do {
            try await store.rebuild(id, stateful, reason: "loaded from disk for the new instance")
            return nil
        } catch {
            logger.error("cannot load plugin state", metadata: ["plugin.id": "\(id)", "error": "\(error)"])
            slots.withLock { $0[id] = Slot(instance: nil, runner: nil, state: .failed("cannot load state: \(error)")) }
            return "\(id): failed to load its state: \(error)"
        }
    }

    /// The running stateful plugins, by id.
    func statefulPlugins() -> [String: any StatefulPlugin] {
        slots.withLock { slots in
            var out: [String: any StatefulPlugin] = [:]
            for (id, slot) in slots where slot.state == .running {
                if let p = slot.instance?.plugin as? any StatefulPlugin { out[id] = p }
            }
            out[PersistentTimers.id] = persistentTimers
            return out
        }
    }

    /// Marks a request to `id` as started; throws `503` while the plugin is being rebuilt.
    func beginRequest(_ id: String) throws(ControlError) {
        try activity.withLock { (a) throws(ControlError) in
            if a.recovering.contains(id) {
                throw ControlError.unavailable("plugin \(id) is restarting after a reload; try again in a moment")
            }
            if a.stopping.contains(id) { throw ControlError.unavailable("plugin \(id) is stopping") }
            a.inFlight[id, default: 0] += 1
        }
    }

    func endRequest(_ id: String) {
        let waiters = activity.withLock { a -> [CheckedContinuation<Void, Never>] in
            a.inFlight[id, default: 1] -= 1
            guard a.inFlight[id] == 0, !a.drainWaiters.isEmpty else { return [] }
            return (a.drainWaiters.removeValue(forKey: id) ?? []).map(\.continuation)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// After a failed journal write: rebuilds the plugins' state from disk, then lets them
    /// record again. Until then the journal refuses their commits (`503`), so no change is
    /// applied to the state being replaced; reads go on.
    func recoverAfterWriteFailure(_ ids: Set<String>) async {
        guard let store else { return }
        for id in ids {
            let target: (any StatefulPlugin)? = id == PersistentTimers.id ? persistentTimers : plugin(id).plugin as? any StatefulPlugin
            guard let target else { continue }
            do {
                try await store.rebuild(id, target, reason: "rebuilt from disk after a failed write")
                if id == PersistentTimers.id { await persistentTimers.rearm() }
            } catch {
                logger.critical("cannot rebuild plugin state after a failed write; stopping", metadata: [
                    "plugin.id": "\(id)", "error": "\(error)"])
                // Its commits stay refused (poisoned) while the daemon ends with status 74.
                fatal.trigger(status: 74, reason: "cannot rebuild plugin \(id) after a failed write: \(error)")
                return
            }
        }
        store.journal.clearPoison(ids)
    }

    /// Replaces a plugin's instance without losing a change: refuses its requests, waits for
    /// those in flight, stops the old instance, waits until everything it recorded is
    /// resolved, and loads the new instance's state from disk before it serves.
    private func swap(_ id: String, old: Instance?, new: Instance) async -> String? {
        activity.withLock { _ = $0.recovering.insert(id) }
        defer { activity.withLock { _ = $0.recovering.remove(id) } }
        await drain(id)
        if old != nil { await stop(id) }
        if let journal = store?.journal { await journal.waitDurable(journal.lastSeq) }
        if let failure = await restoreState(id, new) { return failure }
        run(id, new)
        return nil
    }

    /// Starts delivering persistent timers to running plugins (overdue ones fire now).
    func startPersistentTimers() async {
        await persistentTimers.start { [weak self] plugin, name in
            guard let self, let target = self.plugin(plugin).plugin, self.plugin(plugin).state == .running else { return false }
            await self.inZone { await target.persistentTimerFired(name) }
            return true
        }
    }

    /// The command `name` of the running plugin `id`, if it runs.
    func command(_ id: String, _ name: String) -> BoundCommand? {
        // One lock, no copy of the slot: this is on every plugin request's path.
        slots.withLock { slots in slots[id]?.state == .running ? slots[id]?.instance?.commands[name] : nil }
    }

    /// The command `name` of plugin `id` and the plugin's state, under one lock.
    func route(_ id: String, _ name: String) -> (state: State, command: BoundCommand?) {
        slots.withLock { slots in
            let state = slots[id]?.state ?? .disabled
            return (state, state == .running ? slots[id]?.instance?.commands[name] : nil)
        }
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
