import PluginAPI
import PluginSupport

/// How a channel's posts go out.
enum ChannelKind: String, Codable, Sendable, CaseIterable {
    /// Through a `[[hooks]]` command on `reading.publish.CHANNEL` (the platform has an API).
    case api
    /// By a person, from the copy-ready queue (`reading.queue CHANNEL`), confirmed with the URL.
    case manual
}

/// One `[plugins.reading-promotion.channels.ID]` table.
struct ChannelConfig: Sendable, Equatable {
    var id: String
    var kind: ChannelKind
    /// Shown in replies: 微博, 抖音, 喜马拉雅, 视频号, 微信公众号, 图书馆App.
    var name: String
    /// Longest title and body in characters; nil: no limit.
    var maxTitle: Int?
    var maxBody: Int?
    /// `api` only: the `[[hooks]]` entry whose outcome counts (nil: any hook's).
    var hook: String?
}

/// One `[plugins.reading-promotion.series.NAME]` table: what `reading.series.add NAME` takes
/// when the command gives none.
struct SeriesTemplate: Sendable, Equatable {
    var title: String?
    var cadence: Cadence?
    var channels: [String]?
    var audience: String?
}

/// `[plugins.reading-promotion]`.
struct ReadingSettings: Sendable, Equatable {
    /// By id, sorted by id.
    var channels: [ChannelConfig]
    /// Seconds before an event's start at which registrants are reminded (0: never).
    var reminderLead: Int64
    /// Whether a full event takes a waitlist unless told otherwise.
    var waitlist: Bool
    var series: [String: SeriesTemplate]

    func channel(_ id: String) -> ChannelConfig? { channels.first { $0.id == id } }

    /// A name fit for a channel id or an event name's last part.
    static func isChannelID(_ id: String) -> Bool {
        guard let first = id.utf8.first, id.utf8.count <= 32 else { return false }
        func ok(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") }
        return id.utf8.allSatisfy(ok) && first != UInt8(ascii: "-") && first != UInt8(ascii: "_")
    }

    init(_ config: PluginConfig) throws(ConfigError) {
        let lead = try config.duration("reminder_lead", default: .seconds(1800))
        guard lead <= .seconds(7 * 86_400) else { throw ConfigError(key: "reminder_lead", "expected at most 7d") }
        reminderLead = lead.components.seconds
        waitlist = try config.bool("waitlist", default: true)
        channels = []
        switch config.raw("channels") {
        case nil: break
        case .table(let table)?:
            for (id, value) in table.sorted(by: { $0.key < $1.key }) {
                channels.append(try Self.channel(id, value))
            }
        case let other?:
            throw ConfigError(key: "channels", "expected tables [plugins.reading-promotion.channels.ID], got \(other.typeName)")
        }
        series = [:]
        switch config.raw("series") {
        case nil: break
        case .table(let table)?:
            for (name, value) in table {
                series[name] = try Self.template(name, value, channels: channels.map(\.id))
            }
        case let other?:
            throw ConfigError(key: "series", "expected tables [plugins.reading-promotion.series.NAME], got \(other.typeName)")
        }
    }

    /// Reads a nested table's keys with a config of its own; errors name `PREFIX.KEY`.
    private static func nested<T>(_ prefix: String, _ value: ConfigValue, known: String,
                                  _ read: (PluginConfig) throws(ConfigError) -> T) throws(ConfigError) -> T {
        guard case .table(let t) = value else { throw ConfigError(key: prefix, "expected a table, got \(value.typeName)") }
        let sub = PluginConfig(pluginID: "reading-promotion", values: t)
        let out: T
        do { out = try read(sub) } catch { throw ConfigError(key: error.key.map { "\(prefix).\($0)" } ?? prefix, error.message) }
        if let unknown = sub.unreadKeys.first {
            throw ConfigError(key: "\(prefix).\(unknown)", "unknown key '\(unknown)'; \(known)")
        }
        return out
    }

    static func channel(_ id: String, _ value: ConfigValue) throws(ConfigError) -> ChannelConfig {
        guard isChannelID(id) else {
            throw ConfigError(key: "channels.\(id)", "channel id '\(ValueParser.shown(id))' must be lowercase letters, digits, '-' or '_' (at most 32), such as weibo")
        }
        return try nested("channels.\(id)", value, known: "a channel has kind, name, max_title, max_body, hook") { (c: PluginConfig) throws(ConfigError) in
            let kindText = try c.string("kind", default: "")
            guard let kind = ChannelKind(rawValue: kindText) else {
                throw ConfigError(key: "kind", kindText.isEmpty ? "missing: \"api\" (a [[hooks]] command publishes) or \"manual\" (a person does)"
                    : "expected \"api\" or \"manual\", got \"\(ValueParser.shown(kindText))\"")
            }
            let name = try c.string("name", default: id)
            guard !name.isEmpty, name.count <= 32, !name.contains(where: { $0.isNewline }) else {
                throw ConfigError(key: "name", "expected a display name of 1 to 32 characters on one line")
            }
            let maxTitle = try c.int("max_title", default: 0, range: 0...10_000)
            let maxBody = try c.int("max_body", default: 0, range: 0...1_000_000)
            let hook = try c.raw("hook") == nil ? nil : c.string("hook", default: "")
            if hook != nil, kind != .api { throw ConfigError(key: "hook", "only an api channel has a hook") }
            if hook?.isEmpty == true { throw ConfigError(key: "hook", "expected a [[hooks]] name") }
            return ChannelConfig(id: id, kind: kind, name: name, maxTitle: maxTitle == 0 ? nil : maxTitle,
                                 maxBody: maxBody == 0 ? nil : maxBody, hook: hook)
        }
    }

    static func template(_ name: String, _ value: ConfigValue, channels: [String]) throws(ConfigError) -> SeriesTemplate {
        try nested("series.\(name)", value, known: "a series has title, cadence, channels, audience") { (c: PluginConfig) throws(ConfigError) in
            var t = SeriesTemplate()
            if c.raw("title") != nil { t.title = try c.string("title", default: "") }
            if c.raw("cadence") != nil {
                let text = try c.string("cadence", default: "")
                do throws(Cadence.Invalid) { t.cadence = try Cadence(text) } catch { throw ConfigError(key: "cadence", error.description) }
            }
            if c.raw("channels") != nil {
                let list = try c.strings("channels", default: [])
                for ch in list where !channels.contains(ch) {
                    throw ConfigError(key: "channels", "no channel '\(ValueParser.shown(ch))'; the channels are \(channels.joined(separator: ", "))")
                }
                t.channels = list
            }
            if c.raw("audience") != nil { t.audience = try c.string("audience", default: "") }
            return t
        }
    }
}
