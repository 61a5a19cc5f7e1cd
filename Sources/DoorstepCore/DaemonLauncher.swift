import Glibc
public import PluginAPI
public import ServiceLifecycle
import UnixSignals
import Synchronization

/// Starts `doorstepd`: loads and validates the config, starts the plugins, serves the control
/// socket, reloads on SIGHUP, and stops cleanly on SIGTERM/SIGINT.
public enum DaemonLauncher {
    /// What the command line asked for.
    public struct Options: Sendable {
        public var configFile: String?
        public var overrides: DaemonRuntime.Overrides
        public var logLevel: Logger.Level

        public init(configFile: String?, overrides: DaemonRuntime.Overrides, logLevel: Logger.Level = .info) {
            self.configFile = configFile
            self.overrides = overrides
            self.logLevel = logLevel
        }
    }

    /// `--check-config`: validates everything the daemon would, without side effects.
    ///
    /// - Returns: nil when valid, else `FILE:LINE:COL: message`.
    public static func checkConfig(_ options: Options, registry: [any DoorstepPlugin.Type]) -> String? {
        let host = PluginHost(registry: registry, hub: EventHub(), logger: Logger(label: "doorstepd.check"))
        do {
            try host.validateRegistry()
            _ = try DaemonRuntime.loadAndValidate(file: options.configFile, overrides: options.overrides, host: host)
            return nil
        } catch {
            return error.description
        }
    }

    /// The state directory the options and config name (for the offline tools), or nil after
    /// printing why the config is invalid.
    public static func stateDirectory(_ options: Options, registry: [any DoorstepPlugin.Type]) -> String? {
        let host = PluginHost(registry: registry, hub: EventHub(), logger: Logger(label: "doorstepd.offline"))
        do {
            return try DaemonRuntime.loadAndValidate(file: options.configFile, overrides: options.overrides, host: host).0.daemon.stateDir
        } catch {
            _ = "\(error)\n".withCString { write(2, $0, strlen($0)) }
            return nil
        }
    }

    /// Runs the daemon until it is stopped.
    ///
    /// - Returns: the process exit status (0 after a clean stop).
    public static func run(_ options: Options, registry: [any DoorstepPlugin.Type]) async -> Int32 {
        let logger = Logger(label: "doorstepd")
        let hub = EventHub()
        let host = PluginHost(registry: registry, hub: hub, logger: logger)
        let config: DaemonConfig
        let plugins: [String: PluginHost.Instance]
        do {
            (config, plugins) = try DaemonRuntime.loadAndValidate(file: options.configFile, overrides: options.overrides, host: host)
        } catch {
            logger.critical("invalid config: \(error)")
            SystemdNotifier().send("STATUS=invalid config: \(error)", "ERRNO=22")
            return 1
        }
        do {
            try FileIO.makeDirectories(config.daemon.stateDir)
            try FileSystem.lockStateDirectory(config.daemon.stateDir) {
                logger.notice("waiting for the state directory's lock (a daemon that was just killed may still hold it)",
                              metadata: ["state_dir": "\(config.daemon.stateDir)"])
            }
            // Fail before replaying anything if another daemon serves the socket.
            if getenv("LISTEN_FDS") == nil { try ListenerSetup.preparePath(config.daemon.socket) }
            try host.validateRegistry()
        } catch {
            logger.critical("cannot start: \(error)")
            return 1
        }
        // Trap SIGHUP before anything can report READY, so an early reload never kills us.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let store = StateStore(root: config.daemon.stateDir, settings: config.daemon.state, logger: logger, ref: host.journalRef,
                               fatal: host.fatal)
        SystemdNotifier().status("replaying the journal")
        do {
            let recovery = try await host.open(store, plugins: plugins)
            // A disabled plugin's records would pin every journal segment: snapshot them once.
            let covered = store.covered.withLock { $0 }
            let dormant = host.dormantStatefulPlugins(config, running: plugins).filter {
                (recovery.lastSeqByPlugin[$0.key] ?? 0) > (covered[$0.key] ?? 0)
            }
            for (id, plugin) in dormant {
                try await store.rebuild(id, plugin, reason: "of a disabled plugin read from disk, to snapshot it")
            }
            if !dormant.isEmpty, case .failure(let error) = await store.snapshotAll(dormant, resetsCounters: false) {
                logger.warning("cannot snapshot disabled plugins", metadata: ["error": "\(error)"])
            } else if !dormant.isEmpty {
                logger.info("snapshotted disabled plugins so their journal records can be compacted",
                            metadata: ["plugins": "\(dormant.keys.sorted().joined(separator: ","))"])
            }
            logger.info("state recovered", metadata: [
                "segments": "\(recovery.segments)", "records": "\(recovery.records)", "replayed": "\(recovery.replayed)",
                "torn_bytes": "\(recovery.tornBytes)", "ms": "\(recovery.millis)", "fsync": "\(config.daemon.state.fsync)",
            ])
        } catch {
            logger.critical("cannot open the state directory: \(error)", metadata: ["message_id": "\(MessageID.corruption)"])
            SystemdNotifier().send("STATUS=cannot open state: \(error)")
            return 1
        }
        let audit: AuditLog
        do {
            audit = try AuditLog(stateDir: config.daemon.stateDir, fsync: config.daemon.state.fsync, logger: logger)
        } catch {
            logger.critical("cannot open the audit log: \(error)")
            SystemdNotifier().send("STATUS=cannot open the audit log: \(error)")
            return 1
        }
        // Queued records (reads, refusals) are written before the process ends.
        defer { audit.stop() }
        let runtime = DaemonRuntime(config: config, overrides: options.overrides, host: host, hub: hub, logger: logger,
                                    audit: audit)
        host.start(plugins)
        await host.startPersistentTimers()
        let server = ControlServer(runtime: runtime)
        let group = ServiceGroup(configuration: .init(
            services: [
                // Stops last: after the server has answered its requests in flight.
                .init(service: PluginSupervisor(host: host, store: store)),
                // A fatal failure shuts the group down gracefully: the server still answers
                // what it has in flight (those writes were answered "outcome unknown").
                .init(service: FatalStopService(fatal: host.fatal), failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: SnapshotPolicy(host: host, store: store)),
                .init(service: RetentionService(runtime: runtime)),
                .init(service: server),
                .init(service: ReloadOnHangup(runtime: runtime, signals: hangups)),
                .init(service: MetricsTextfile(runtime: runtime)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
            if let failure = host.fatal.failure {
                // Reported during the shutdown itself (the last snapshot's flush, say).
                logger.critical("doorstepd stopped after a fatal failure: \(failure.reason)")
                return failure.status
            }
            logger.info("stopped")
            return 0
        } catch let failure as FatalFailure {
            // Nothing more was acknowledged after the failure; the next start replays the journal.
            logger.critical("doorstepd stopped after a fatal failure: \(failure.reason)")
            return failure.status
        } catch {
            if let failure = host.fatal.failure {
                logger.critical("doorstepd stopped after a fatal failure: \(failure.reason)")
                return failure.status
            }
            logger.critical("doorstepd failed: \(error)")
            SystemdNotifier().send("STATUS=failed: \(error)")
            await host.stopAll()
            store.close()
            return 1
        }
    }
}

/// Takes snapshots in the background when the journal since the last one grows past the
/// configured thresholds.
struct SnapshotPolicy: Service {
    let host: PluginHost
    let store: StateStore

    func run() async throws {
        let host = self.host, store = self.store
        try? await cancelWhenGracefulShutdown {
            await store.runSnapshotPolicy { host.statefulPlugins() }
        }
    }
}

/// Runs the daily purge under `[privacy] retain_days` (``RetentionPolicy``).
struct RetentionService: Service {
    let runtime: DaemonRuntime

    func run() async throws {
        let policy = RetentionPolicy(runtime: runtime)
        try? await cancelWhenGracefulShutdown { await policy.run() }
    }
}

/// Reloads the config on SIGHUP; an invalid config is logged and the old one keeps running.
struct ReloadOnHangup: Service {
    let runtime: DaemonRuntime
    let signals: UnixSignalsSequence

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            _ = await runtime.reload(reason: "SIGHUP")
        }
    }
}
