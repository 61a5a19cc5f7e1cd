
/// A read-only service a plugin offers other plugins while it runs, declared once:
///
/// ```swift
/// public static let offers: [ServiceOffer<RosterPlugin>] = [.offer((any RosterDirectory).self) { $0 }]
/// ```
///
/// The host provides it in ``PluginContext/services`` before the plugin serves its first
/// request, and withdraws it when the plugin stops, so a consumer never races the provider's
/// `run()`. The interface itself lives in a small interface target of its own (`RosterInterface`).
public struct ServiceOffer<Plugin: DoorstepPlugin>: Sendable {
    let provide: @Sendable (Plugin, any ServiceRegistry) -> Void
    let withdraw: @Sendable (any ServiceRegistry) -> Void

    /// Offers `make(plugin)` as `type`.
    public static func offer<T>(_ type: T.Type, _ make: @escaping @Sendable (Plugin) -> T) -> ServiceOffer<Plugin> {
        ServiceOffer(provide: { plugin, registry in registry.provide(type, make(plugin)) },
                     withdraw: { registry in registry.withdraw(type) })
    }
}

extension DoorstepPlugin {
    /// Provides this instance's ``DoorstepPlugin/offers`` in `registry` (the host calls it).
    package func provideServices(to registry: any ServiceRegistry) {
        for offer in Self.offers { offer.provide(self, registry) }
    }

    /// Withdraws what ``provideServices(to:)`` provided.
    package static func withdrawServices(from registry: any ServiceRegistry) {
        for offer in offers { offer.withdraw(registry) }
    }
}
