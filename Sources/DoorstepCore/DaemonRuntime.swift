import Glibc
import NIOCore
public import PluginAPI
import PluginSupport
import Synchronization

/// The daemon's shared state: current config and access policy, the plugin host, the event
/// hub, counters, and reload. Everything the control server and core commands consult.
public final class DaemonRuntime: Sendable {
    /// Command-line values that override the config file, also across reloads.
    public struct Overrides: Sendable {
        public var socket: String?
        public var stateDir: String?

        public init(socket: String? = nil, stateDir: String? = nil) {
            self.socket = socket
            self.stateDir = stateDir
        }
    }

    struct Current {
        var config: DaemonConfig
        var access: AccessPolicy
    }

    public let host: PluginHost
    public let hub: EventHub
    public let logger: Logger
    let notifier = SystemdNotifier()
    let overrides: Overrides
    let startedAt = Int64(time(nil))
    let startedMonotonic = ContinuousClock.now
    private let current: Mutex<Current>
    let openConnections = Atomic<Int>(0)
    let acceptedConnections = Atomic<Int>(0)
    /// Open connections by peer uid (`max_connections_per_user`).
    let connectionsByUID = Mutex<[UInt32: Int]>([:])
    /// Bytes of request bodies held across connections (`max_buffered_body_bytes`).
    let bodyBudget: BodyBudget
    /// Requests by command and code, latency; read by `metrics` and the textfile writer.
    let metrics = DaemonMetrics()
    private let reloadGate = Mutex(false)
    /// The socket actually served, when systemd passed it (else the configured path).
    let servingPath = Mutex<String?>(nil)
    private let lastReloadError = Mutex<String?>(nil)
    /// The event loop that serves the listening socket and sends `WATCHDOG=1` (set once
    /// serving): what `debug.hang` blocks.
    let watchdogLoop = Mutex<(any EventLoop)?>(nil)
    /// `[daemon] debug_hang`, read on every request that names `debug.hang`.
    let debugHang = Atomic<Bool>(false)
    /// The audit trail (`STATE_DIR/audit/audit.log`); nil in processes that keep none (the
    /// in-process test host).
    let audit: AuditLog?
    /// When the daily purge under `[privacy] retain_days` runs next (nil: none configured).
    let nextAutomaticPurge = Mutex<Int64?>(nil)

    /// The control socket's path as clients reach it.
    var socketPath: String { servingPath.withLock { $0 } ?? config.daemon.socket }

    /// Creates the runtime for a validated config; nothing runs yet.
    public convenience init(config: DaemonConfig, overrides: Overrides, host: PluginHost, hub: EventHub, logger: Logger) {
        self.init(config: config, overrides: overrides, host: host, hub: hub, logger: logger, audit: nil)
    }

    /// Creates the runtime with the audit log the daemon opened in its state directory.
    init(config: DaemonConfig, overrides: Overrides, host: PluginHost, hub: EventHub, logger: Logger, audit: AuditLog?) {
        self.audit = audit
        self.host = host
        self.hub = hub
        self.logger = logger
        self.overrides = overrides
        let config = Self.applying(overrides, to: config)
        self.current = Mutex(Current(config: config, access: AccessPolicy(config: config.access, daemonUID: getuid())))
        self.bodyBudget = BodyBudget(limit: config.daemon.maxBufferedBodyBytes)
        self.debugHang.store(config.daemon.debugHang, ordering: .relaxed)
        host.zone = config.daemon.zone
    }

    static func applying(_ overrides: Overrides, to config: DaemonConfig) -> DaemonConfig {
        var config = config
        if let socket = overrides.socket { config.daemon.socket = socket }
        if let dir = overrides.stateDir { config.daemon.stateDir = dir }
        return config
    }

    /// Loads a config file (or the defaults) with the command-line overrides and validates
    /// every plugin section by creating the plugins.
    static func loadAndValidate(file: String?, overrides: Overrides, host: PluginHost) throws(ConfigFileError)
        -> (DaemonConfig, [String: PluginHost.Instance])
    {
        var config = DaemonConfig.defaults
        if let file { config = try ConfigLoader.load(file: file, knownPlugins: host.ids) }
        config = applying(overrides, to: config)
        if let socket = overrides.socket, let problem = ListenerSetup.socketPathProblem(socket) {
            throw ConfigFileError(nil, file: "--socket", problem)
        }
        if let dir = overrides.stateDir, dir.isEmpty || dir.utf8.contains(0) {
            throw ConfigFileError(nil, file: "--state-dir", "a state directory path must be non-empty and hold no NUL byte")
        }
        if config.daemon.stateDir == DaemonSettings().stateDir, let dir = getenv("STATE_DIRECTORY"), overrides.stateDir == nil {
            // Under systemd, the default state_dir means StateDirectory= (/var/lib/doorstep).
            config.daemon.stateDir = String(cString: dir).split(separator: ":").first.map(String.init) ?? config.daemon.stateDir
        }
        return (config, try host.create(config))
    }

    public var config: DaemonConfig { current.withLock { $0.config } }
    var access: AccessPolicy { current.withLock { $0.access } }

    /// One-line summary for `STATUS=`.
    var statusLine: String {
        let running = host.states().filter { $0.state == .running }.map { $0.type.id }
        var line = "serving \(socketPath); plugins: \(running.isEmpty ? "none" : running.joined(separator: ", "))"
        if let error = lastReloadError.withLock({ $0 }) { line += "; last reload failed: \(error)" }
        return line
    }

    /// Re-reads the config file and applies it; an invalid config changes nothing.
    ///
    /// - Returns: the changes, or `424 invalid_config` naming file, line and column.
    public func reload(reason: String) async -> Result<[String], ControlError> {
        let busy = reloadGate.withLock { running in defer { running = true }; return running }
        guard !busy else { return .failure(.conflict("a reload is already in progress")) }
        defer { reloadGate.withLock { $0 = false } }
        notifier.reloading()
        defer { notifier.ready(status: statusLine) }
        let old = config
        logger.info("reloading config", metadata: ["reason": "\(reason)", "config.file": "\(old.file ?? "(defaults)")"])
        let loaded: (DaemonConfig, [String: PluginHost.Instance])
        do {
            loaded = try Self.loadAndValidate(file: old.file, overrides: overrides, host: host)
        } catch {
            logger.error("reload refused: invalid config; the old config keeps running",
                         metadata: ["error": "\(error)", "message_id": "\(MessageID.reloadFailed)"])
            lastReloadError.withLock { $0 = "\(error)" }
            return .failure(.invalidConfig("\(error); the old config keeps running"))
        }
        lastReloadError.withLock { $0 = nil }
        var (new, candidates) = loaded
        var changes: [String] = []
        let fixed: [(String, WritableKeyPath<DaemonSettings, String>)] = [
            ("socket", \.socket), ("state_dir", \.stateDir), ("socket_group", \.socketGroup),
        ]
        for (name, path) in fixed where new.daemon[keyPath: path] != old.daemon[keyPath: path] {
            changes.append("daemon.\(name): kept \"\(old.daemon[keyPath: path])\" (a change needs a restart)")
            new.daemon[keyPath: path] = old.daemon[keyPath: path]
        }
        if new.daemon.state != old.daemon.state {
            changes.append("daemon.fsync/segment_bytes/snapshot_every_*: kept (a change needs a restart)")
            new.daemon.state = old.daemon.state
        }
        if new.daemon.socketMode != old.daemon.socketMode {
            changes.append("daemon.socket_mode: kept \(String(old.daemon.socketMode, radix: 8)) (a change needs a restart)")
            new.daemon.socketMode = old.daemon.socketMode
        }
        let limits: [(String, KeyPath<DaemonSettings, Int>)] = [
            ("max_connections", \.maxConnections), ("max_connections_per_user", \.maxConnectionsPerUser),
            ("admin_reserved_connections", \.adminReservedConnections), ("idle_timeout", \.idleTimeoutSeconds),
            ("request_timeout", \.requestTimeoutSeconds), ("write_timeout", \.writeTimeoutSeconds),
            ("max_line_bytes", \.maxLineBytes), ("max_body_bytes", \.maxBodyBytes),
            ("max_subscriber_backlog_bytes", \.maxSubscriberBacklogBytes),
        ]
        for (name, path) in limits where new.daemon[keyPath: path] != old.daemon[keyPath: path] {
            changes.append("daemon.\(name): \(old.daemon[keyPath: path]) → \(new.daemon[keyPath: path]) (new connections)")
        }
        if new.access != old.access { changes.append("access: updated (new connections)") }
        if new.daemon.zone != old.daemon.zone {
            changes.append("daemon.timezone: \(old.daemon.zone) → \(new.daemon.zone)")
            host.zone = new.daemon.zone
        }
        if new.daemon.maxBufferedBodyBytes != old.daemon.maxBufferedBodyBytes {
            changes.append("daemon.max_buffered_body_bytes: \(old.daemon.maxBufferedBodyBytes) → \(new.daemon.maxBufferedBodyBytes)")
            bodyBudget.limit = new.daemon.maxBufferedBodyBytes
        }
        if new.daemon.debugHang != old.daemon.debugHang {
            changes.append("daemon.debug_hang: \(old.daemon.debugHang) → \(new.daemon.debugHang) (debug.hang is \(new.daemon.debugHang ? "offered to admins" : "gone"))")
            debugHang.store(new.daemon.debugHang, ordering: .relaxed)
        }
        let accessPolicy = AccessPolicy(config: new.access, daemonUID: getuid())
        current.withLock { $0 = Current(config: new, access: accessPolicy) }
        changes += await host.apply(candidates)
        candidates = [:]
        logger.info("config reloaded", metadata: ["changes": "\(changes.joined(separator: "; "))"])
        return .success(changes)
    }
}

/// Journal `MESSAGE_ID`s of the events operators search for.
enum MessageID {
    static let started = "5d6a1c7e0f3b4c2a9e8d7f6b5a4c3d21"
    static let reloadFailed = "8b1f2e3d4c5a69788796a5b4c3d2e1f0"
    static let forbidden = "c4f1a2b3d4e5f60718293a4b5c6d7e8f"
    static let stopping = "2e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b"
    static let fsyncFailed = "9a4e6b1c2d3f40718a9b0c1d2e3f4a5b"
    static let tornTail = "3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f"
    static let corruption = "e1d2c3b4a5968778695a4b3c2d1e0f9a"
    /// `debug.hang` is about to block the watchdog's event loop (testing only).
    static let debugHang = "7f085d7f23c341e299aac0b8ebfc730d"
    /// An audit record (`DOORSTEP_AUDIT=1`; docs/protocol.md §6).
    static let audit = "a7d1c0e2b3f44a5d8e9f0a1b2c3d4e5f"
    /// A `privacy.purge` (an admin's or the daily one under `[privacy] retain_days`) finished.
    static let purged = "5b1e2c3d4f6a48b9a0c1d2e3f4a5b6c7"
}
