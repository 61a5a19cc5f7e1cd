import DoorstepProtocol
import PluginAPI

/// What of a request's arguments goes into the audit trail: ids, kinds, choices, numbers,
/// times and flags, never personal values (names, phones, notes, callers, addresses, donors,
/// contacts, reasons: `***`), and never the body (only its size).
///
/// One function on purpose: when fields declare their sensitivity (issue 19, masking by
/// role), ``redact(command:arguments:)`` is the one place that should consult it.
enum AuditRedaction {
    /// What a personal value is shown as.
    static let hidden: JSON = "***"

    /// String arguments whose values are ids and kinds: those `NAMESPACE.changed` events
    /// publish to any viewer (``ChangeScope/publicStringArguments``, which leaves out `items`:
    /// what a household needs, `降压药:2盒`, is health data).
    static let publicStrings: Set<String> = ChangeScope.publicStringArguments

    /// The arguments of a request for `spec` as the audit log keeps them, in the order typed.
    ///
    /// Works on the words as typed, so a request refused before its arguments were bound
    /// (`403`, `422`) is recorded the same way. A value that is not valid for its declared
    /// type is hidden too (it may be text typed in the wrong place); an argument the command
    /// does not declare keeps its name (names are ASCII identifiers) with its value hidden.
    static func redact(command spec: CommandSpec, arguments: some Sequence<Argument>) -> [(String, JSON)] {
        let positional = spec.arguments.filter { $0.kind == .positional }
        var next = 0
        var out: [(String, JSON)] = []
        func add(_ name: String, _ value: JSON) {
            // A variadic argument's words become one array.
            if let i = out.firstIndex(where: { $0.0 == name }) {
                if case .array(let items) = out[i].1 { out[i].1 = .array(items + [value]) } else { out[i].1 = .array([out[i].1, value]) }
            } else {
                out.append((name, value))
            }
        }
        for argument in arguments {
            switch argument {
            case .named(let key, let value):
                guard let declared = spec.arguments.first(where: { $0.name == key }) else {
                    add(key, hidden)
                    continue
                }
                add(key, shown(value, as: declared))
            case .positional(let value):
                guard next < positional.count else {
                    add("_extra", hidden)
                    continue
                }
                let declared = positional[next]
                if !declared.variadic { next += 1 }
                add(declared.name, shown(value, as: declared))
            }
        }
        return out
    }

    /// One value as the audit log keeps it.
    static func shown(_ value: String, as declared: ArgumentSpec) -> JSON {
        guard declared.type.problem(with: value) == nil else { return hidden }
        switch declared.type {
        case .string: return publicStrings.contains(declared.name) ? .string(value) : hidden
        case .int: return Int64(value).map(JSON.int) ?? .string(value)
        case .bool, .choice, .duration, .time, .pastTime, .pattern: return .string(value)
        }
    }
}
