/// How a plugin reacts to events other plugins publish, declared once:
///
/// ```swift
/// public static let reactions: [EventReaction<SuppliesPlugin>] = [
///     .on("visits.need.opened") { supplies, event in await supplies.needOpened(event) },
/// ]
/// ```
///
/// The host subscribes before the plugin serves its first request (so nothing published once
/// it serves is missed, unlike a subscription made in `run()`), delivers the events in order
/// one at a time, and ends the subscription when the plugin stops. Events published while the
/// plugin was not running are not replayed: a reaction that must never miss one keeps its own
/// record of what it has seen.
public struct EventReaction<Plugin: DoorstepPlugin>: Sendable {
    let patterns: [String]
    let handle: @Sendable (Plugin, Event) async -> Void

    /// Calls `handle` for every event whose name matches one of `patterns` (`*` matches any run).
    public static func on(_ patterns: String..., handle: @escaping @Sendable (Plugin, Event) async -> Void) -> EventReaction<Plugin> {
        EventReaction(patterns: patterns, handle: handle)
    }
}

extension DoorstepPlugin {
    /// Subscribes this instance's ``DoorstepPlugin/reactions`` on `bus` now, and returns the
    /// loops that deliver them (the host runs them beside `run()` until the plugin stops).
    package func subscribeReactions(on bus: any EventBus) -> [@Sendable () async -> Void] {
        Self.reactions.map { reaction in
            let events = bus.subscribe(reaction.patterns)
            return { for await event in events { await reaction.handle(self, event) } }
        }
    }
}
