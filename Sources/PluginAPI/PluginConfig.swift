import Synchronization
import PluginSupport

/// A config value as read from `[plugins.NAME]`, independent of the file format.
public enum ConfigValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([ConfigValue])
    case table([String: ConfigValue])

    /// The TOML type name, for error messages.
    public var typeName: String {
        switch self {
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a float"
        case .bool: return "a boolean"
        case .array: return "an array"
        case .table: return "a table"
        }
    }
}

/// A config problem in one key, thrown by plugins at creation; the host adds file and line.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key (within the plugin's section), or nil for the section as a whole.
    public var key: String?
    public var message: String

    public init(key: String?, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { key.map { "\($0): \(message)" } ?? message }
}

/// A plugin's config section. Getters record which keys were read so the host can report
/// every other key as unknown (strict config, as Caddy's `DisallowUnknownFields`).
public struct PluginConfig: Sendable {
    /// The plugin's id (the section is `[plugins.ID]`).
    public let pluginID: String
    /// The section's values, `enabled` excluded.
    public let values: [String: ConfigValue]
    private let readKeys = KeyLog()

    public init(pluginID: String, values: [String: ConfigValue]) {
        self.pluginID = pluginID
        self.values = values
    }

    /// Keys present in the section but never read.
    public var unreadKeys: [String] {
        let read = readKeys.keys.withLock { $0 }
        return values.keys.filter { !read.contains($0) }.sorted()
    }

    private func value(_ key: String) -> ConfigValue? {
        readKeys.keys.withLock { _ = $0.insert(key) }
        return values[key]
    }

    private func mismatch(_ key: String, _ expected: String, _ got: ConfigValue) -> ConfigError {
        ConfigError(key: key, "expected \(expected), got \(got.typeName)")
    }

    /// A string value, or `defaultValue` when absent.
    public func string(_ key: String, default defaultValue: String) throws(ConfigError) -> String {
        guard let v = value(key) else { return defaultValue }
        guard case .string(let s) = v else { throw mismatch(key, "a string", v) }
        return s
    }

    /// An integer value within `range`, or `defaultValue` when absent.
    public func int(_ key: String, default defaultValue: Int, range: ClosedRange<Int>? = nil) throws(ConfigError) -> Int {
        guard let v = value(key) else { return defaultValue }
        guard case .int(let i) = v else { throw mismatch(key, "an integer", v) }
        if let range, !range.contains(i) {
            throw ConfigError(key: key, "expected an integer from \(range.lowerBound) to \(range.upperBound), got \(i)")
        }
        return i
    }

    /// A boolean value, or `defaultValue` when absent.
    public func bool(_ key: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let v = value(key) else { return defaultValue }
        guard case .bool(let b) = v else { throw mismatch(key, "a boolean", v) }
        return b
    }

    /// An array of strings, or `defaultValue` when absent.
    public func strings(_ key: String, default defaultValue: [String]) throws(ConfigError) -> [String] {
        guard let v = value(key) else { return defaultValue }
        guard case .array(let items) = v else { throw mismatch(key, "an array of strings", v) }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw mismatch(key, "an array of strings", item) }
            out.append(s)
        }
        return out
    }

    /// An array of tables (`[[hooks]]`), each as a config of its own whose ``unreadKeys`` the
    /// plugin reports (as `KEY.INDEX.NAME`, which the host turns into the entry's line).
    public func tables(_ key: String) throws(ConfigError) -> [PluginConfig] {
        guard let v = value(key) else { return [] }
        guard case .array(let items) = v else { throw mismatch(key, "an array of tables", v) }
        var out: [PluginConfig] = []
        for (i, item) in items.enumerated() {
            guard case .table(let t) = item else { throw mismatch("\(key).\(i)", "a table", item) }
            out.append(PluginConfig(pluginID: pluginID, values: t))
        }
        return out
    }

    /// The raw value of `key` (marked read), for keys of more than one type (`on = "x"` or `on = ["x", "y"]`).
    public func raw(_ key: String) -> ConfigValue? { value(key) }

    /// A duration (`"90s"`, `"5m"`, or an integer number of seconds), or `defaultValue`.
    public func duration(_ key: String, default defaultValue: Duration) throws(ConfigError) -> Duration {
        guard let v = value(key) else { return defaultValue }
        switch v {
        case .int(let i) where i >= 0: return .seconds(i)
        case .string(let s):
            guard let d = ValueParser.duration(s) else { throw ConfigError(key: key, "expected a duration such as \"90s\", got \"\(s)\"") }
            return d
        default: throw mismatch(key, "a duration", v)
        }
    }
}

/// The keys a plugin read, shared by copies of one ``PluginConfig``.
private final class KeyLog: Sendable {
    let keys = Mutex<Set<String>>([])
}
