public import PluginAPI
public import PluginSupport

/// The whole validated configuration: `[daemon]`, `[access]` and every `[plugins.NAME]`.
///
/// Built only by ``ConfigLoader``; every value here has been checked.
public struct DaemonConfig: Sendable {
    /// The file it came from, or nil for the embedded defaults.
    public var file: String?
    public var daemon: DaemonSettings
    public var access: AccessConfig
    /// Plugin sections by plugin id.
    public var plugins: [String: PluginSection]
    /// `[metrics]`: the node_exporter textfile.
    public var metrics = MetricsSettings()
    /// `[ship]`: the district shipper's settings (nil when the file has no such section).
    public var ship: ShipSettings?
    /// `[privacy]`: how long personal data is kept.
    public var privacy = PrivacySettings()

    /// The embedded defaults: state and socket under `./var/`, no plugin options.
    public static let defaults = DaemonConfig(file: nil, daemon: DaemonSettings(), access: AccessConfig(), plugins: [:])
}

/// `[privacy]`: retention of personal data (docs/protocol.md, "Privacy").
public struct PrivacySettings: Sendable, Equatable {
    /// Whole days personal data is kept before the daily automatic purge removes it; 0: no
    /// automatic purge.
    public var retainDays = 0
}

/// `[metrics]`: figures written for node_exporter's textfile collector, so the daemon stays
/// off the network while Prometheus scrapes the machine.
public struct MetricsSettings: Sendable, Equatable {
    /// File written atomically (a temporary file renamed over it) every ``intervalSeconds``;
    /// empty: none.
    public var textfile = ""
    public var intervalSeconds = 15

    public init() {}
}

/// `[daemon]`: where and how the daemon serves.
public struct DaemonSettings: Sendable, Equatable {
    /// Control socket path (relative paths are relative to the working directory).
    public var socket = "var/doorstep.sock"
    /// Permission bits of the socket file.
    public var socketMode: UInt32 = 0o660
    /// Group owning the socket file; empty keeps the daemon's group.
    public var socketGroup = ""
    /// State directory.
    public var stateDir = "var/state"
    /// Open connections allowed at once (admins get ``adminReservedConnections`` more).
    public var maxConnections = 256
    /// Open connections one non-admin uid may hold, so one user cannot fill `maxConnections`.
    public var maxConnectionsPerUser = 32
    /// Connections only admins may use beyond `maxConnections`: root gets in while others
    /// have filled every slot.
    public var adminReservedConnections = 16
    /// Seconds without a request before an idle connection is closed (0 = never).
    public var idleTimeoutSeconds = 300
    /// Seconds a request (its line, and its body if any) may take to arrive once its first
    /// byte has, while the daemon waits for it (0 = no limit): a byte a second is no request.
    public var requestTimeoutSeconds = 60
    /// Seconds the daemon's send buffer to a peer may stay full with nothing taken from it
    /// before the connection is closed (0 = no limit): a client that pipelines requests and
    /// never reads the replies, or subscribes and never reads, would hold its slot for ever.
    public var writeTimeoutSeconds = 60
    /// Longest request line in bytes.
    public var maxLineBytes = 65_536
    /// Longest heredoc body in bytes.
    public var maxBodyBytes = 16 * 1024 * 1024
    /// Bytes of bodies all connections together may hold while they arrive and wait to be
    /// served; a body past it is discarded with `503`. Default: 4 × `maxBodyBytes`.
    public var maxBufferedBodyBytes = 4 * 16 * 1024 * 1024
    /// Bytes of events one connection's subscription may have queued before it is cut off.
    public var maxSubscriberBacklogBytes = 16 * 1024 * 1024
    /// Journal and snapshot settings.
    public var state = StateSettings()
    /// The community's time zone: times shown, local times read, days cut (`timezone`).
    public var zone: CommunityZone = .system
    /// Testing only (`debug_hang`): offers admins `debug.hang`, which blocks the event loop that
    /// sends systemd's watchdog pings. The command does not exist while this is false.
    public var debugHang = false

    public init() {}
}

/// `[access]`: which local users and groups get which role.
public struct AccessConfig: Sendable, Equatable {
    /// Role of a peer matched by nothing else.
    public var defaultRole: Role = .none
    /// User name (or numeric uid) to role.
    public var users: [String: Role] = [:]
    /// Group name (or numeric gid) to role.
    public var groups: [String: Role] = [:]

    public init() {}
}

/// `[plugins.NAME]` as read from the file.
public struct PluginSection: Sendable {
    /// `enabled`, if the file says.
    public var enabled: Bool?
    /// The other keys, for the plugin to validate.
    public var values: [String: ConfigValue]
    /// Where each key is, for error messages.
    public var locations: [String: SourceLocation]
    /// Where the section header is.
    public var location: SourceLocation?
}

/// A place in a config file.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public var description: String { "\(file):\(line):\(column)" }
}

/// A config problem with its place: printed as `FILE:LINE:COL: message` by `--check-config`.
public struct ConfigFileError: Error, Sendable, CustomStringConvertible {
    public var location: SourceLocation?
    public var file: String
    public var message: String

    public init(_ location: SourceLocation?, file: String, _ message: String) {
        self.location = location
        self.file = file
        self.message = message
    }

    public var description: String { "\(location?.description ?? file): \(message)" }
}
