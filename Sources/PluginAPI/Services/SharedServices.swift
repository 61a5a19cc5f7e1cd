import Synchronization

/// Read-only services plugins offer each other through the host: a plugin never imports
/// another plugin, it looks up an interface declared in a small interface target of its own
/// (`RosterInterface`'s `RosterDirectory`).
public protocol ServiceRegistry: Sendable {
    /// Offers `service` as `type` (replacing an earlier one).
    func provide<T>(_ type: T.Type, _ service: T)
    /// Withdraws the service offered as `type`.
    func withdraw<T>(_ type: T.Type)
    /// The service offered as `type`, if a running plugin offers it.
    func lookup<T>(_ type: T.Type) -> T?
}

/// The host's registry (one for the daemon).
public final class HostServices: ServiceRegistry {
    private let services = Mutex<[ObjectIdentifier: any Sendable]>([:])

    public init() {}

    public func provide<T>(_ type: T.Type, _ service: T) {
        let boxed = UncheckedBox(service)
        services.withLock { $0[ObjectIdentifier(type)] = boxed }
    }

    public func withdraw<T>(_ type: T.Type) { _ = services.withLock { $0.removeValue(forKey: ObjectIdentifier(type)) } }

    public func lookup<T>(_ type: T.Type) -> T? {
        (services.withLock { $0[ObjectIdentifier(type)] } as? UncheckedBox<T>)?.value
    }
}

/// Services are Sendable protocols in practice; the registry stores them type-erased.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
