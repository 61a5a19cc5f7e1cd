/// How a plugin reacts to events other plugins announce with their committed changes, declared once:
///
/// ```swift
/// public static let reactions: [EventReaction<SuppliesPlugin>] = [
///     .on("visits.need.opened") { supplies, event in try await supplies.needOpened(event) },
/// ]
/// ```
///
/// Reactions are durable. The host feeds them from the journal through a cursor kept with the
/// plugin's state: events are delivered in journal order, one at a time, only once they are
/// durable, and after a crash, a restart, a reload or a period disabled the plugin resumes
/// where it left off. The first change a handler records (``StatefulPlugin/record(_:announcing:)``)
/// carries the event's sequence number in the same journal record, so a reaction takes effect
/// exactly once: record at most one change per event (or make later ones idempotent).
///
/// A handler that throws is retried with backoff (and blocks later events meanwhile, so
/// nothing is skipped): let storage errors propagate, never log and swallow them. A handler
/// that returns without recording has consumed the event (deterministic ignores only).
public struct EventReaction<Plugin: DoorstepPlugin>: Sendable {
    let patterns: [String]
    let handle: @Sendable (Plugin, Event) async throws -> Void

    /// Calls `handle` for every committed event whose name matches one of `patterns` (`*`
    /// matches any run of characters).
    public static func on(_ patterns: String..., handle: @escaping @Sendable (Plugin, Event) async throws -> Void)
        -> EventReaction<Plugin>
    {
        EventReaction(patterns: patterns, handle: handle)
    }
}

extension DoorstepPlugin {
    /// Every pattern of this plugin's ``DoorstepPlugin/reactions`` (none: it reacts to nothing).
    package static var reactionPatterns: [String] { reactions.flatMap(\.patterns) }

    /// Runs every reaction of this instance whose patterns match `event`, in declaration order.
    package func react(to event: Event) async throws {
        for reaction in Self.reactions where reaction.patterns.contains(where: { EventPattern.matches($0, event.name) }) {
            try await reaction.handle(self, event)
        }
    }
}
