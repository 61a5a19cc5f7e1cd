import Glibc
public import PluginAPI
import PluginSupport

/// One `[[hooks]]` entry, validated when the config is loaded.
struct HookSpec: Sendable, Equatable {
    /// Event fields that hold personal data by name (the plugins' declarations mask these for
    /// hooks without `personal = true`): names, phones, notes, addresses, contacts.
    static func isPersonal(_ field: String) -> Bool {
        ["name", "names", "phone", "phones", "caller", "contact", "note", "notes", "address", "donor",
         "id_number", "holder", "leader"].contains(field) || field.hasSuffix("_phone") || field.hasSuffix("_name")
    }

    /// `name`, or `hook-N` for the Nth entry.
    var name: String
    /// `on`: event patterns (`*` matches any run of characters).
    var patterns: [String]
    /// `run`: the argv, each argument a template with `{…}` placeholders.
    var argv: [HookTemplate]
    var timeout: Duration
    /// Attempts after the first one.
    var retries: Int
    /// Wait before the first retry; doubled for each later one, at most ``maxBackoff``.
    var backoff: Duration
    /// `capture`: the first line of its output goes into its events (`hooks.succeeded` after a
    /// success, `output` in `hooks.failed`/`hooks.gave_up`), for a plugin that must learn the
    /// outcome (a publisher prints the post's URL).
    var capture: Bool
    /// `personal = true`: the command gets the event's personal fields (a page's phone) as
    /// published; otherwise they are masked as for a viewer (docs/protocol.md, "Privacy").
    var personal: Bool
    var user: (name: String, uid: uid_t)?
    var group: (name: String, gid: gid_t)?
    /// The identity the command runs with, when doorstepd (root) drops to `user`: the user's
    /// uid, `group` or else the user's own group, and the user's supplementary groups. Nil:
    /// the daemon's own identity (not root, `user` naming itself).
    var drop: Identity?

    struct Identity: Sendable, Equatable {
        var uid: uid_t
        var gid: gid_t
        var groups: [gid_t]
    }

    static let maxBackoff: Duration = .seconds(3600)

    static func == (a: HookSpec, b: HookSpec) -> Bool {
        a.name == b.name && a.patterns == b.patterns && a.argv == b.argv && a.timeout == b.timeout && a.retries == b.retries
            && a.backoff == b.backoff && a.drop == b.drop && a.capture == b.capture && a.personal == b.personal
    }

    /// Whether this hook runs for `name`. The hooks service's own events (`hooks.failed`) reach
    /// only hooks that name them (`on = "hooks.gave_up"`), never `*`: a failing hook on `*`
    /// would otherwise feed itself.
    func matches(_ name: String) -> Bool {
        patterns.contains { p in
            EventPattern.matches(p, name) && (!name.hasPrefix(HooksPlugin.id + ".") || p.hasPrefix(HooksPlugin.id + "."))
        }
    }

    /// The wait before attempt `attempt + 1` (attempt 1 is the first run).
    func delay(after attempt: Int) -> Duration {
        var wait = backoff
        for _ in 1..<max(attempt, 1) { wait = min(wait * 2, Self.maxBackoff) }
        return wait
    }

    /// Reads entry `index` of `[[hooks]]`; errors name the key as `hooks.INDEX.KEY`, which the
    /// host turns into the entry's file and line.
    init(_ config: PluginConfig, index: Int) throws(ConfigError) {
        func key(_ k: String) -> String { "hooks.\(index).\(k)" }
        func fail(_ k: String, _ message: String) -> ConfigError { ConfigError(key: key(k), message) }
        func rethrow<T>(_ k: String, _ body: () throws(ConfigError) -> T) throws(ConfigError) -> T {
            do { return try body() } catch { throw ConfigError(key: key(k), error.message) }
        }
        let given = try rethrow("name") { () throws(ConfigError) in try config.optionalString("name") }
        name = given ?? ""
        guard given == nil || !name.isEmpty, name.utf8.count <= 64, !name.contains(where: { $0 == " " || $0 == "\t" || $0 == "=" }) else {
            throw fail("name", "expected a short name without spaces or '=', got \"\(ValueParser.shown(name))\"")
        }
        switch config.raw("on") {
        case .string(let p)?: patterns = [p]
        case .array(let items)?:
            patterns = []
            for item in items {
                guard case .string(let p) = item else { throw fail("on", "expected event patterns (strings), got \(item.typeName)") }
                patterns.append(p)
            }
        case nil: throw fail("on", "missing: the event pattern this hook runs for, such as \"emergencies.escalated\"")
        case let other?: throw fail("on", "expected an event pattern or an array of them, got \(other.typeName)")
        }
        for p in patterns where p.isEmpty || p.contains(where: { $0 == " " }) {
            throw fail("on", "\"\(ValueParser.shown(p))\" is not an event pattern (plugin.event, '*' for any run of characters)")
        }
        if patterns.isEmpty { throw fail("on", "expected at least one event pattern") }
        let words = try rethrow("run") { () throws(ConfigError) in try config.strings("run", default: []) }
        guard let program = words.first else {
            throw fail("run", "missing: the command as an array, program first, e.g. [\"/usr/local/bin/send-sms\", \"--to\", \"{data.phone}\"] (no shell)")
        }
        guard program.hasPrefix("/") else {
            throw fail("run", "the program must be an absolute path (hooks run without a shell or PATH), got \"\(ValueParser.shown(program))\"")
        }
        guard access(program, X_OK) == 0 else {
            throw fail("run", "\(program) is not an executable file (\(String(cString: strerror(errno))))")
        }
        argv = []
        for word in words {
            do { argv.append(try HookTemplate(word)) } catch { throw fail("run", "\"\(ValueParser.shown(word))\": \(error.reason)") }
        }
        if given == nil {
            // Named by what it does, not by its place: reordering or removing other entries
            // must not hand one hook's queued runs to another.
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in Array((patterns + ["\u{0}"] + words).joined(separator: "\u{1}").utf8) { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            name = "hook-" + String(String(h, radix: 16).suffix(8))
        }
        timeout = try rethrow("timeout") { () throws(ConfigError) in try config.duration("timeout", default: .seconds(10)) }
        guard timeout >= .milliseconds(100), timeout <= .seconds(3600) else { throw fail("timeout", "expected 100ms to 1h") }
        retries = try rethrow("retries") { () throws(ConfigError) in try config.int("retries", default: 3, range: 0...100) }
        backoff = try rethrow("backoff") { () throws(ConfigError) in try config.duration("backoff", default: .seconds(30)) }
        guard backoff >= .seconds(1), backoff <= Self.maxBackoff else { throw fail("backoff", "expected 1s to 1h") }
        capture = try rethrow("capture") { () throws(ConfigError) in try config.bool("capture", default: false) }
        personal = try rethrow("personal") { () throws(ConfigError) in try config.bool("personal", default: false) }
        // A hook that passes a phone or a name without `personal = true` would get it masked
        // (138****5678) and page nobody, silently: refused at load, where an admin sees it.
        if !personal, let field = argv.lazy.flatMap(\.parts).compactMap({ part -> String? in
            if case .field(let path) = part, path.first == "data", let last = path.last, Self.isPersonal(last) { return last }
            return nil
        }).first {
            throw fail("personal", "this hook passes {data.\(field)}, personal data that hooks get masked (138****5678) unless "
                + "the hook is trusted with it: add personal = true (docs/protocol.md, \"Privacy\")")
        }
        if let userName = try rethrow("user", { () throws(ConfigError) in try config.optionalString("user") }) {
            guard let pw = getpwnam(userName) else { throw fail("user", "no such user '\(ValueParser.shown(userName))'") }
            user = (userName, pw.pointee.pw_uid)
        }
        if let groupName = try rethrow("group", { () throws(ConfigError) in try config.optionalString("group") }) {
            guard let gr = getgrnam(groupName) else { throw fail("group", "no such group '\(ValueParser.shown(groupName))'") }
            group = (groupName, gr.pointee.gr_gid)
        }
        if geteuid() == 0 {
            if let user {
                let pw = getpwnam(user.name)!.pointee
                let gid = group?.gid ?? pw.pw_gid
                var count: Int32 = 64
                var groups = [gid_t](repeating: 0, count: Int(count))
                if getgrouplist(user.name, gid, &groups, &count) < 0 {
                    groups = [gid_t](repeating: 0, count: Int(count))
                    _ = getgrouplist(user.name, gid, &groups, &count)
                }
                drop = Identity(uid: user.uid, gid: gid, groups: Array(groups.prefix(Int(max(count, 0)))))
            } else if group != nil {
                // Root with another group is no drop of privileges at all.
                throw fail("group", "needs user too: a hook started by root runs as root unless it names a user")
            }
        } else if (user != nil && user?.uid != getuid()) || (group != nil && group?.gid != getgid()) {
            throw fail(user != nil ? "user" : "group", "doorstepd runs as uid \(geteuid()), not root: it cannot start hooks as another user or group")
        }
        if let unknown = config.unreadKeys.first {
            throw ConfigError(key: key(unknown), "unknown key '\(unknown)'; a hook has name, on, run, timeout, retries, backoff, capture, personal, user, group")
        }
    }
}

extension PluginConfig {
    /// A string value, or nil when absent.
    func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard values[key] != nil else { _ = raw(key); return nil }
        return try string(key, default: "")
    }
}

/// One argument of a hook's `run`, with `{…}` placeholders filled from the event.
///
/// `{name}`, `{seq}`, `{time}` (RFC 3339 in the community's zone), `{hook}`, `{data}` (the
/// event's data as JSON) and `{data.FIELD}` / `{data.A.B}` (a member; numbers and booleans as
/// written, strings as they are); `{{` and `}}` are literal braces.
struct HookTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case text(String)
        case field([String])
    }

    struct Invalid: Error {
        let reason: String
    }

    /// What a placeholder names when the event lacks it.
    struct Missing: Error, CustomStringConvertible {
        let placeholder: String
        /// The members there are where the lookup stopped, to name the right one.
        var available: [String] = []
        var description: String {
            "the event has no \(placeholder)" + (available.isEmpty ? "" : "; it has " + available.map { "{\($0)}" }.joined(separator: ", "))
        }
    }

    static let roots = ["name", "seq", "time", "hook", "data"]

    let parts: [Part]
    let text: String

    init(_ text: String) throws(Invalid) {
        self.text = text
        var parts: [Part] = []
        var literal = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "{", next < text.endIndex, text[next] == "{" {
                literal.append("{"); i = text.index(after: next); continue
            }
            if c == "}", next < text.endIndex, text[next] == "}" {
                literal.append("}"); i = text.index(after: next); continue
            }
            if c == "}" { throw Invalid(reason: "a '}' without its '{' (write '}}' for a brace)") }
            if c == "{" {
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw Invalid(reason: "a '{' without its '}' (write '{{' for a brace)")
                }
                let path = text[next..<close].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard let root = path.first, Self.roots.contains(root) else {
                    throw Invalid(reason: "unknown placeholder {\(text[next..<close])}; expected {name}, {seq}, {time}, {hook}, {data} or {data.FIELD}")
                }
                guard root == "data" || path.count == 1, !path.contains(where: \.isEmpty) else {
                    throw Invalid(reason: "placeholder {\(text[next..<close])}: only data has fields ({data.phone})")
                }
                if !literal.isEmpty { parts.append(.text(literal)); literal = "" }
                parts.append(.field(path))
                i = text.index(after: close)
                continue
            }
            literal.append(c)
            i = next
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        self.parts = parts
    }

    /// The argument for `event` and hook `hook`.
    func render(_ event: HookEvent, hook: String) throws(Missing) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            case .field(let path):
                switch path[0] {
                case "name": out += event.name
                case "seq": out += String(event.seq)
                case "time": out += ValueParser.iso8601(event.time)
                case "hook": out += hook
                default:
                    var value = event.data
                    var at = ["data"]
                    for member in path.dropFirst() {
                        guard case .object(let fields) = value, let v = fields.first(where: { $0.0 == member })?.1 else {
                            var available: [String] = []
                            if case .object(let fields) = value { available = fields.map { (at + [$0.0]).joined(separator: ".") } }
                            throw Missing(placeholder: "{\(path.joined(separator: "."))}", available: available)
                        }
                        value = v
                        at.append(member)
                    }
                    if case .string(let s) = value { out += s } else if case .null = value {
                        throw Missing(placeholder: "{\(path.joined(separator: "."))} (it is null)")
                    } else {
                        value.serialize(into: &out)
                    }
                }
            }
        }
        return out
    }
}
