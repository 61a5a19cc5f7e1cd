import Foundation
public import PluginAPI
import Synchronization
public import DoorstepProtocol

/// The daemon's plugin host, journal and dispatcher in one process, without sockets: what
/// `PluginTesting` drives. Requests go through the same resolution, role checks, argument
/// binding, immediate answers and journal as on the socket.
public final class InProcessHost: Sendable {
    let host: PluginHost
    let store: StateStore
    let runtime: DaemonRuntime
    let dispatcher: Dispatcher
    private let runners: Task<Void, Never>
    /// The daily purge under `[privacy] retain_days`, on the test's clock.
    private let retention: Task<Void, Never>
    private let nextSession = Atomic<UInt64>(0)

    /// Starts `registry`'s enabled plugins with the config file `configFile` (nil: defaults)
    /// over the state directory `stateDir` (created if needed; an existing one is replayed).
    ///
    /// - Throws: ``ConfigFileError`` for a bad config; what opening the state throws.
    public init(registry: [any DoorstepPlugin.Type], configFile: String?, stateDir: String, clock: any WallClock,
                tap: (@Sendable (Event) -> Void)? = nil) async throws {
        var logger = Logger(label: "doorstep.test")
        logger.logLevel = .warning
        let hub = EventHub(tap: tap)
        let host = PluginHost(registry: registry, hub: hub, logger: logger, clock: clock)
        try host.validateRegistry()
        let (config, plugins) = try DaemonRuntime.loadAndValidate(
            file: configFile, overrides: DaemonRuntime.Overrides(socket: stateDir + "/unused.sock", stateDir: stateDir), host: host)
        try FileIO.makeDirectories(stateDir)
        let store = StateStore(root: stateDir, settings: config.daemon.state, logger: logger, ref: host.journalRef, fatal: host.fatal)
        _ = try await host.open(store, plugins: plugins)
        let runtime = DaemonRuntime(config: config, overrides: .init(), host: host, hub: hub, logger: logger)
        self.host = host
        self.store = store
        self.runtime = runtime
        self.dispatcher = Dispatcher(runtime: runtime)
        // The supervisor's job, without a service group: run each launched plugin until stopped.
        let launches = host.launches
        runners = Task {
            await withDiscardingTaskGroup { group in
                for await runner in launches.stream { group.addTask { await runner.run() } }
            }
        }
        retention = Task { await RetentionPolicy(runtime: runtime).run() }
        host.start(plugins)
        await host.startPersistentTimers()
    }

    /// Sends one request line (and its heredoc body, as text or as bytes) as a caller with
    /// `role`, as the socket would: answered at once where the daemon would, else through the
    /// plugin.
    public func send(_ line: String, body: String? = nil, bytes: [UInt8]? = nil, role: Role, uid: UInt32 = 1000) async
        -> Result<Reply, ControlError>
    {
        let parsed: RequestLine
        do {
            guard let request = try Lexer.parse(line) else { return .failure(.invalidArgument("empty request line")) }
            parsed = request
        } catch {
            return .failure(error)
        }
        let id = nextSession.add(1, ordering: .relaxed).newValue
        let session = Session(id: id, caller: Caller(uid: uid, gid: uid, pid: 0, role: role), userName: "test",
                              subscriptionID: 0, activity: ConnectionActivity())
        let frame = Frame.request(parsed, body: body, bytes: bytes)
        if let now = dispatcher.handleNow(frame, session: session) { return now.result }
        return await dispatcher.handle(frame, session: session).result
    }

    /// Every durable journal record (of `plugin`, or all), in order.
    public func records(of plugin: String? = nil) throws -> [RecordedEvent] {
        try store.records(of: plugin, after: 0)
    }

    /// Waits until everything committed so far is on disk.
    public func flush() async {
        await store.journal.waitDurable(store.journal.lastSeq)
    }

    /// Reloads the config file as `reload` does.
    ///
    /// - Returns: one line per change, or the error `reload` answers.
    public func reload() async -> Result<[String], ControlError> { await runtime.reload(reason: "test") }

    /// Waits until every running plugin's reactions have consumed everything committed so far,
    /// including what those reactions commit in turn (at most `limit`).
    ///
    /// - Returns: false if they had not settled in time (a handler failing, say).
    @discardableResult
    public func settle(limit: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            await flush()
            let through = store.journal.durableSeq
            let status = host.reactionStatus()
            if store.journal.lastSeq == through,
                status.values.allSatisfy({ $0.cursor >= EventPosition.through(through) && $0.status.failing == nil })
            {
                return true
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Stops the plugins and closes the journal (as a clean daemon stop, without the snapshot).
    public func stop() async {
        retention.cancel()
        await host.persistentTimers.stopAll()
        await host.stopAll()
        host.launches.finish()
        await runners.value
        store.close()
    }

    /// Takes a snapshot of every plugin now (as `state.snapshot`).
    public func snapshot() async throws {
        if case .failure(let error) = await store.snapshotAll(host.statefulPlugins()) { throw error }
    }
}
