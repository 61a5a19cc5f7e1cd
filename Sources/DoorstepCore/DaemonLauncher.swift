import Glibc
public import PluginAPI
import ServiceLifecycle
import UnixSignals

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
            _ = try DaemonRuntime.loadAndValidate(file: options.configFile, overrides: options.overrides, host: host)
            return nil
        } catch {
            return error.description
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
        } catch {
            logger.critical("cannot use the state directory: \(error)")
            return 1
        }
        let runtime = DaemonRuntime(config: config, overrides: options.overrides, host: host, hub: hub, logger: logger)
        // Trap SIGHUP before anything can report READY, so an early reload never kills us.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        host.start(plugins)
        let server = ControlServer(runtime: runtime)
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: PluginService(host: host)),
                .init(service: server),
                .init(service: ReloadOnHangup(runtime: runtime, signals: hangups)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
            logger.info("stopped")
            return 0
        } catch {
            logger.critical("doorstepd failed: \(error)")
            SystemdNotifier().send("STATUS=failed: \(error)")
            await host.stopAll()
            return 1
        }
    }
}

/// Keeps the plugins running until graceful shutdown, then stops them (after the server has
/// finished its in-flight requests, since services stop in reverse order).
struct PluginService: Service {
    let host: PluginHost

    func run() async throws {
        try? await gracefulShutdown()
        await host.stopAll()
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
