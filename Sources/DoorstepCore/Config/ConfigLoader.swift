import Glibc
import PluginAPI
import Foundation
import PluginSupport
import ShipCore

/// Reads and strictly validates the TOML config (`config/doorstep.toml` documents every key).
///
/// Unknown sections and keys are errors naming file, line and key; so are values of the wrong
/// type or range. Plugin keys are validated by creating the plugins (``PluginHost/validate``).
public enum ConfigLoader {
    /// Reads `file` and validates it.
    ///
    /// - Parameter knownPlugins: ids of the plugins this binary has; nil for a program that
    ///   hosts none (`doorstep-ship` reads `[daemon]` and `[ship]` and leaves plugin sections
    ///   to the daemon).
    public static func load(file: String, knownPlugins: [String]?) throws(ConfigFileError) -> DaemonConfig {
        let text: String
        do {
            text = try FileIO.readText(file)
        } catch {
            throw ConfigFileError(nil, file: file, "cannot read config: \(error)")
        }
        return try parse(text: text, file: file, knownPlugins: knownPlugins)
    }

    /// Validates config `text` that came from `file`.
    public static func parse(text: String, file: String, knownPlugins: [String]?) throws(ConfigFileError) -> DaemonConfig {
        let document: TOMLReader.Document
        do {
            document = try TOMLReader.parse(text)
        } catch {
            throw ConfigFileError(SourceLocation(file: file, line: error.line, column: error.column), file: file, error.message)
        }
        let root = document.root
        let reader = SectionReader(file: file, positions: document.positions)
        var config = DaemonConfig.defaults
        config.file = file
        for key in root.keys.sorted() where !["daemon", "access", "plugins", "hooks", "metrics", "ship", "privacy"].contains(key) {
            var message = "unknown section or key '\(key)'; expected [daemon], [access], [metrics], [ship], [privacy], [plugins.NAME] or [[hooks]]"
            if let best = Suggest.closest(to: [key], among: ["daemon", "access", "metrics", "ship", "privacy", "plugins", "hooks"]) { message += " (did you mean [\(best)]?)" }
            throw reader.error([key], message)
        }
        if let metrics = root["metrics"] { config.metrics = try reader.metrics(metrics) }
        if let ship = root["ship"] { config.ship = try reader.ship(ship) }
        if let privacy = root["privacy"] { config.privacy = try reader.privacy(privacy) }
        if let daemon = root["daemon"] { config.daemon = try reader.daemon(daemon) }
        if let access = root["access"] { config.access = try reader.access(access) }
        if let plugins = root["plugins"] {
            config.plugins = try reader.plugins(plugins, known: knownPlugins)
        }
        if let hooks = root["hooks"] { try reader.hooks(hooks, into: &config, known: knownPlugins) }
        return config
    }

}

/// Validation of the fixed sections, with positions for every error.
private struct SectionReader {
    let file: String
    /// Where each key and table is written (``TOMLReader/Document/positions``).
    let positions: [String: (line: Int, column: Int)]

    func location(_ path: [String]) -> SourceLocation? {
        positions[path.joined(separator: ".")].map { SourceLocation(file: file, line: $0.line, column: $0.column) }
    }

    func error(_ path: [String], _ message: String) -> ConfigFileError {
        ConfigFileError(location(path) ?? location(Array(path.dropLast())), file: file, message)
    }

    func table(_ value: ConfigValue, _ path: [String]) throws(ConfigFileError) -> [String: ConfigValue] {
        guard case .table(let t) = value else {
            throw error(path, "'\(path.joined(separator: "."))' must be a table, got \(value.typeName)")
        }
        return t
    }

    func string(_ v: ConfigValue, _ path: [String]) throws(ConfigFileError) -> String {
        guard case .string(let s) = v else { throw error(path, "\(path.last!): expected a string, got \(v.typeName)") }
        return s
    }

    func int(_ v: ConfigValue, _ path: [String], _ range: ClosedRange<Int>) throws(ConfigFileError) -> Int {
        guard case .int(let i) = v else { throw error(path, "\(path.last!): expected an integer, got \(v.typeName)") }
        guard range.contains(i) else {
            throw error(path, "\(path.last!): expected an integer from \(range.lowerBound) to \(range.upperBound), got \(i)")
        }
        return i
    }

    func daemon(_ value: ConfigValue) throws(ConfigFileError) -> DaemonSettings {
        var s = DaemonSettings()
        let table = try table(value, ["daemon"])
        for (key, v) in table.sorted(by: { $0.key < $1.key }) {
            let path = ["daemon", key]
            switch key {
            case "socket":
                s.socket = try string(v, path)
                if let problem = ListenerSetup.socketPathProblem(s.socket) { throw error(path, "socket: \(problem)") }
            case "socket_mode":
                let text = try string(v, path)
                guard text.count >= 3, text.count <= 4, let mode = UInt32(text, radix: 8), mode <= 0o777 else {
                    throw error(path, "socket_mode: expected an octal string such as \"0660\", got \"\(text)\"")
                }
                guard mode & 0o002 == 0 else {
                    throw error(path, "socket_mode: \"\(text)\" lets every local user write to the socket; residents' data needs a group instead (e.g. \"0660\" with socket_group)")
                }
                s.socketMode = mode
            case "socket_group":
                s.socketGroup = try string(v, path)
                if !s.socketGroup.isEmpty, Identity.groupID(s.socketGroup) == nil {
                    throw error(path, "socket_group: no such group '\(s.socketGroup)'")
                }
            case "state_dir":
                s.stateDir = try string(v, path)
                if s.stateDir.isEmpty || s.stateDir.utf8.contains(0) { throw error(path, "state_dir: must not be empty or hold a NUL byte") }
            case "max_connections": s.maxConnections = try int(v, path, 1...65_536)
            case "max_connections_per_user": s.maxConnectionsPerUser = try int(v, path, 1...65_536)
            case "admin_reserved_connections": s.adminReservedConnections = try int(v, path, 0...1024)
            case "idle_timeout": s.idleTimeoutSeconds = try seconds(v, path)
            case "request_timeout": s.requestTimeoutSeconds = try seconds(v, path)
            case "write_timeout": s.writeTimeoutSeconds = try seconds(v, path)
            case "max_buffered_body_bytes": s.maxBufferedBodyBytes = try int(v, path, 0...68_719_476_736)
            case "max_subscriber_backlog_bytes": s.maxSubscriberBacklogBytes = try int(v, path, 65_536...68_719_476_736)
            case "max_line_bytes": s.maxLineBytes = try int(v, path, 256...16_777_216)
            case "max_body_bytes": s.maxBodyBytes = try int(v, path, 0...1_073_741_824)
            case "fsync":
                let text = try string(v, path)
                guard let mode = FsyncMode(rawValue: text) else {
                    throw error(path, "fsync: expected \"always\" or \"off\", got \"\(text)\"")
                }
                s.state.fsync = mode
            case "segment_bytes": s.state.segmentBytes = try int(v, path, 4096...1_073_741_824)
            case "snapshot_every_events": s.state.snapshotEveryEvents = try int(v, path, 1...100_000_000)
            case "snapshot_every_bytes": s.state.snapshotEveryBytes = try int(v, path, 4096...68_719_476_736)
            case "timezone":
                let name = try string(v, path)
                guard let zone = CommunityZone(identifier: name) else {
                    var message = "timezone: unknown time zone \"\(ValueParser.shown(name))\"; expected an IANA name such as \"Asia/Shanghai\""
                    if let best = Suggest.closest(to: [name], among: TimeZone.knownTimeZoneIdentifiers) {
                        message += " (did you mean \"\(best)\"?)"
                    }
                    throw error(path, message)
                }
                s.zone = zone
            case "debug_hang":
                guard case .bool(let b) = v else { throw error(path, "debug_hang: expected true or false, got \(v.typeName)") }
                s.debugHang = b
            default:
                throw error(path, "unknown key 'daemon.\(key)'; expected one of socket, socket_mode, socket_group, "
                    + "state_dir, max_connections, max_connections_per_user, admin_reserved_connections, idle_timeout, "
                    + "request_timeout, write_timeout, max_line_bytes, max_body_bytes, max_buffered_body_bytes, max_subscriber_backlog_bytes, "
                    + "fsync, segment_bytes, snapshot_every_events, snapshot_every_bytes, timezone, debug_hang")
            }
        }
        if table.keys.contains("max_buffered_body_bytes") == false {
            // Default: room for four bodies of the largest size at once.
            s.maxBufferedBodyBytes = 4 * s.maxBodyBytes
        } else if s.maxBufferedBodyBytes < s.maxBodyBytes {
            throw error(["daemon", "max_buffered_body_bytes"],
                        "max_buffered_body_bytes: \(s.maxBufferedBodyBytes) is less than max_body_bytes (\(s.maxBodyBytes)); "
                        + "no body that size could ever be received (make it a few times max_body_bytes)")
        }
        return s
    }

    /// Seconds as an integer ≥ 0 or a duration string (`"90s"`, `"5m"`).
    func seconds(_ v: ConfigValue, _ path: [String]) throws(ConfigFileError) -> Int {
        let key = path.last!
        // At most a year: larger values are typos, and would overflow the event loop's timers.
        let limit = 31_536_000
        switch v {
        case .int(let i) where i >= 0 && i <= limit: return i
        case .string(let text):
            guard let d = ValueParser.duration(text), d.components.seconds <= limit else {
                throw error(path, "\(key): expected seconds or a duration such as \"5m\" (at most a year), got \"\(text)\"")
            }
            guard d == .zero || d >= .seconds(1) else {
                throw error(path, "\(key): \"\(text)\" is under a second; use whole seconds (0 turns it off)")
            }
            return Int(d.components.seconds)
        default: throw error(path, "\(key): expected seconds (integer 0 to \(limit)) or a duration string")
        }
    }

    func metrics(_ value: ConfigValue) throws(ConfigFileError) -> MetricsSettings {
        var m = MetricsSettings()
        for (key, v) in try table(value, ["metrics"]).sorted(by: { $0.key < $1.key }) {
            let path = ["metrics", key]
            switch key {
            case "textfile":
                m.textfile = try string(v, path)
                if m.textfile.utf8.contains(0) || m.textfile.hasSuffix("/") {
                    throw error(path, "textfile: expected a file path such as \"/var/lib/prometheus/node-exporter/doorstep.prom\"")
                }
                if !m.textfile.isEmpty, !m.textfile.hasSuffix(".prom") {
                    throw error(path, "textfile: node_exporter reads only files ending in .prom; got \"\(ValueParser.shown(m.textfile))\"")
                }
            case "interval":
                m.intervalSeconds = try seconds(v, path)
                if m.intervalSeconds == 0 { throw error(path, "interval: must be at least 1 s (leave textfile empty for none)") }
            default:
                throw error(path, "unknown key 'metrics.\(key)'; expected textfile or interval")
            }
        }
        return m
    }

    /// `[privacy]` (``PrivacySettings``).
    func privacy(_ value: ConfigValue) throws(ConfigFileError) -> PrivacySettings {
        var p = PrivacySettings()
        for (key, v) in try table(value, ["privacy"]).sorted(by: { $0.key < $1.key }) {
            let path = ["privacy", key]
            switch key {
            case "retain_days":
                p.retainDays = try int(v, path, 0...3650)
            default:
                var message = "unknown key 'privacy.\(key)'; expected retain_days"
                if let best = Suggest.closest(to: [key], among: ["retain_days"]) { message += " (did you mean '\(best)'?)" }
                throw error(path, message)
            }
        }
        return p
    }

    /// `[ship]` (``ShipSettings``).
    func ship(_ value: ConfigValue) throws(ConfigFileError) -> ShipSettings {
        var s = ShipSettings()
        for (key, v) in try table(value, ["ship"]).sorted(by: { $0.key < $1.key }) {
            let path = ["ship", key]
            switch key {
            case "database_url":
                let text = try string(v, path)
                do {
                    s.databaseURL = try DatabaseURL.parse(text)
                } catch let problem {
                    throw error(path, problem.description)
                }
            case "password_file":
                s.passwordFile = try string(v, path)
                if !s.passwordFile.isEmpty, !s.passwordFile.hasPrefix("/") {
                    throw error(path, "password_file: expected an absolute path (such as /run/credentials/doorstep-ship.service/pgpassword), got \"\(ValueParser.shown(s.passwordFile))\"")
                }
            case "community":
                s.community = try string(v, path)
                let c = s.community
                guard !c.isEmpty, c.count <= 64, c.trimmingCharacters(in: .whitespaces) == c,
                    !c.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
                else {
                    throw error(path, "community: expected the community's name in the district, 1 to 64 characters without control "
                        + "characters or surrounding spaces (such as \"yanta-dianzicheng-01\" or \"电子城街道01社区\"), got \"\(ValueParser.shown(c))\"")
                }
            case "batch_size": s.batchSize = try int(v, path, 1...10_000)
            case "events":
                var patterns: [String] = []
                switch v {
                case .string(let p): patterns = [p]
                case .array(let items):
                    for item in items {
                        guard case .string(let p) = item else { throw error(path, "events: expected event patterns (strings), got \(item.typeName)") }
                        patterns.append(p)
                    }
                default: throw error(path, "events: expected a pattern or an array of patterns such as [\"visits.*\", \"supplies.*\"], got \(v.typeName)")
                }
                guard !patterns.isEmpty else { throw error(path, "events: empty; give \"*\" to ship every event") }
                for p in patterns {
                    if let problem = EventPattern.problem(with: p) { throw error(path, "events: \(problem)") }
                }
                s.events = patterns
            case "personal":
                guard case .bool(let b) = v else { throw error(path, "personal: expected true or false, got \(v.typeName)") }
                s.personal = b
            case "socket":
                s.socket = try string(v, path)
                if let problem = ListenerSetup.socketPathProblem(s.socket), !s.socket.isEmpty { throw error(path, "socket: \(problem)") }
            default:
                var message = "unknown key 'ship.\(key)'; expected one of \(ShipSettings.keys.joined(separator: ", "))"
                if let best = Suggest.closest(to: [key], among: ShipSettings.keys) { message += " (did you mean '\(best)'?)" }
                throw error(path, message)
            }
        }
        return s
    }

    func role(_ v: ConfigValue, _ path: [String]) throws(ConfigFileError) -> Role {
        let name = try string(v, path)
        guard let role = Role(name: name) else {
            throw error(path, "\(path.last!): unknown role '\(name)'; expected none, viewer, operator or admin")
        }
        return role
    }

    func access(_ value: ConfigValue) throws(ConfigFileError) -> AccessConfig {
        var a = AccessConfig()
        for (key, v) in try table(value, ["access"]).sorted(by: { $0.key < $1.key }) {
            switch key {
            case "default_role": a.defaultRole = try role(v, ["access", key])
            case "users", "groups":
                for (name, r) in try table(v, ["access", key]).sorted(by: { $0.key < $1.key }) {
                    let path = ["access", key, name]
                    let known = key == "users" ? Identity.userID(name) != nil : Identity.groupID(name) != nil
                    guard known else { throw error(path, "access.\(key): no such \(key == "users" ? "user" : "group") '\(name)'") }
                    if key == "users" { a.users[name] = try role(r, path) } else { a.groups[name] = try role(r, path) }
                }
            default:
                throw error(["access", key], "unknown key 'access.\(key)'; expected default_role, users or groups")
            }
        }
        return a
    }

    /// `[[hooks]]` entries go to the `hooks` service as its key `hooks` (an array of tables),
    /// beside what `[plugins.hooks]` sets; each entry's keys keep their positions (`hooks.1.run`).
    func hooks(_ value: ConfigValue, into config: inout DaemonConfig, known: [String]?) throws(ConfigFileError) {
        guard known?.contains("hooks") ?? true else { throw error(["hooks"], "[[hooks]]: this doorstepd has no hooks service") }
        guard case .array(let entries) = value, entries.allSatisfy({ if case .table = $0 { true } else { false } }) else {
            throw error(["hooks"], "hooks: expected [[hooks]] tables (one per hook), got \(value.typeName)")
        }
        var section = config.plugins["hooks"] ?? PluginSection(enabled: nil, values: [:], locations: [:], location: location(["hooks"]))
        section.values["hooks"] = value
        section.locations["hooks"] = location(["hooks"])
        for (i, entry) in entries.enumerated() {
            guard case .table(let t) = entry else { continue }
            section.locations["hooks.\(i)"] = location(["hooks", "\(i)"])
            for key in t.keys { section.locations["hooks.\(i).\(key)"] = location(["hooks", "\(i)", key]) }
        }
        config.plugins["hooks"] = section
    }

    func plugins(_ value: ConfigValue, known: [String]?) throws(ConfigFileError) -> [String: PluginSection] {
        var out: [String: PluginSection] = [:]
        for (id, v) in try table(value, ["plugins"]).sorted(by: { $0.key < $1.key }) {
            guard let known else {
                out[id] = PluginSection(enabled: nil, values: [:], locations: [:], location: location(["plugins", id]))
                continue
            }
            guard known.contains(id) else {
                throw error(["plugins", id], "unknown plugin '\(id)'; this doorstepd has \(known.sorted().joined(separator: ", "))")
            }
            var values = try table(v, ["plugins", id])
            var enabled: Bool?
            if let e = values.removeValue(forKey: "enabled") {
                guard case .bool(let b) = e else {
                    throw error(["plugins", id, "enabled"], "enabled: expected true or false, got \(e.typeName)")
                }
                enabled = b
            }
            var locations: [String: SourceLocation] = [:]
            // Keys of nested tables too (`kinds.labour.steps`), and the entries of arrays
            // (`escalation.1.after`: the array's own line when the entry's is not known), so a
            // plugin's ConfigError names the line of the key it is about.
            func locate(_ value: ConfigValue, _ path: [String], fallback: SourceLocation?) {
                let here = location(["plugins", id] + path) ?? fallback
                locations[path.joined(separator: ".")] = here
                switch value {
                case .table(let t): for (k, v) in t { locate(v, path + [k], fallback: here) }
                case .array(let items): for (i, v) in items.enumerated() { locate(v, path + [String(i)], fallback: here) }
                default: break
                }
            }
            for (key, value) in values { locate(value, [key], fallback: location(["plugins", id])) }
            out[id] = PluginSection(enabled: enabled, values: values, locations: locations, location: location(["plugins", id]))
        }
        return out
    }
}
