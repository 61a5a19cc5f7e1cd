import PluginAPI
import Synchronization

/// The command a plugin is answering, so that the first record it makes for it also announces
/// `NAMESPACE.changed` (docs/protocol.md §5): every change is an event a dashboard can follow,
/// committed with the change itself (same record, same `seq`, no second fsync), whether or not
/// the plugin announces anything of its own.
final class ChangeScope: Sendable {
    @TaskLocal static var current: ChangeScope?

    let plugin: String
    let announcement: Announcement
    private let claimed = Mutex(false)

    /// Argument names whose values are ids, kinds and counts, never personal text: only these
    /// string arguments go into the event (choices, numbers, times and flags always do). Not
    /// `items`: a request's items beside its household say who needs which medicine.
    static let publicStringArguments: Set<String> = [
        "household", "households", "building", "buildings", "campaign", "item", "category", "channel", "channels",
        "gate", "kind", "step", "id", "format", "mode", "status", "priority", "source", "unit", "currency", "series",
        "incident", "request", "need", "role", "event", "outcome", "plugin", "amount",
    ]

    init(plugin: String, request: Request) {
        self.plugin = plugin
        var args: [(String, JSON)] = []
        for spec in request.declared ?? [] {
            guard let value = request.values[spec.name] else { continue }
            switch spec.type {
            case .string where !Self.publicStringArguments.contains(spec.name):
                continue
            case .int: args.append((spec.name, Int64(value).map(JSON.int) ?? .string(value)))
            default: args.append((spec.name, .string(value)))
            }
        }
        let namespace = request.command.split(separator: ".").first.map(String.init) ?? plugin
        announcement = Announcement(namespace + ".changed", ["command": .string(request.command), "args": .object(args)])
    }

    /// The announcement for the first record of this request; nil after.
    func claim(for pluginID: String) -> Announcement? {
        guard pluginID == plugin else { return nil }
        return claimed.withLock { taken in
            defer { taken = true }
            return taken ? nil : announcement
        }
    }
}
