import DoorstepProtocol

/// The daemon's commands as its `commands` reply describes them (docs/protocol.md §8): what
/// completion offers. The client keeps no list of its own, so plugins' commands complete too.
struct Catalog {
    struct Argument {
        let name: String
        let positional: Bool
        let type: String
        let values: [String]
        let required: Bool
        let variadic: Bool
        let summary: String
    }

    struct Command {
        let name: String
        let summary: String
        let arguments: [Argument]
        /// The role it needs (`viewer`, `operator`, `admin`).
        var role = "viewer"
        var positional: [Argument] { arguments.filter(\.positional) }
        func argument(_ name: String) -> Argument? { arguments.first { $0.name == name } }
    }

    let commands: [Command]
    private let byName: [String: Command]
    /// The caller's role (hello's `role`): Tab offers the commands it may run.
    var callerRole: String?

    static let roles = ["viewer", "operator", "admin"]

    /// Whether the caller may run `command` (unknown roles are not held against it).
    func allowed(_ command: Command) -> Bool {
        guard let callerRole, let have = Self.roles.firstIndex(of: callerRole),
            let need = Self.roles.firstIndex(of: command.role)
        else { return true }
        return need <= have
    }

    init(commands: [Command]) {
        self.commands = commands.sorted { $0.name < $1.name }
        var index: [String: Command] = [:]
        for c in commands { index[c.name] = c }
        byName = index
    }

    /// From the `data` of a JSON `commands` reply; entries it cannot read are skipped.
    init(json data: JSON) {
        let list = data.elements.compactMap { entry -> Command? in
            guard let name = entry["name"]?.text else { return nil }
            let args = (entry["args"]?.elements ?? []).compactMap { arg -> Argument? in
                guard let argName = arg["name"]?.text else { return nil }
                return Argument(name: argName, positional: arg["kind"]?.text == "positional", type: arg["type"]?.text ?? "string",
                                values: (arg["values"]?.elements ?? []).compactMap(\.text),
                                required: arg["required"] == .bool(true), variadic: arg["variadic"] == .bool(true),
                                summary: arg["summary"]?.text ?? "")
            }
            return Command(name: name, summary: entry["summary"]?.text ?? "", arguments: args, role: entry["role"]?.text ?? "viewer")
        }
        self.init(commands: list)
    }

    func command(_ name: String) -> Command? { byName[name] }

    /// The longest command the leading words spell (`roster leader assign` is
    /// `roster.leader.assign`), as the daemon resolves it; and how many words it took.
    func resolve(_ words: [String]) -> (Command, Int)? {
        let parts = Array(words.prefix(4))
        for count in stride(from: parts.count, through: 1, by: -1) {
            if let c = byName[parts[..<count].joined(separator: ".")] { return (c, count) }
        }
        return nil
    }

    /// The plugins' prefixes (`roster`, `visits`, …) and the core's event prefixes, for patterns.
    var prefixes: [String] {
        var seen: [String] = []
        for c in commands {
            guard let dot = c.name.firstIndex(of: ".") else { continue }
            let p = String(c.name[..<dot])
            if !seen.contains(p) { seen.append(p) }
        }
        return seen
    }
}
