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

    /// The embedded defaults: state and socket under `./var/`, no plugin options.
    public static let defaults = DaemonConfig(file: nil, daemon: DaemonSettings(), access: AccessConfig(), plugins: [:])
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
    /// Open connections allowed at once.
    public var maxConnections = 256
    /// Seconds without a request before an idle connection is closed (0 = never).
    public var idleTimeoutSeconds = 300
    /// Longest request line in bytes.
    public var maxLineBytes = 65_536
    /// Longest heredoc body in bytes.
    public var maxBodyBytes = 16 * 1024 * 1024
    /// Journal and snapshot settings.
    public var state = StateSettings()
    /// The community's time zone: times shown, local times read, days cut (`timezone`).
    public var zone: CommunityZone = .system

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
