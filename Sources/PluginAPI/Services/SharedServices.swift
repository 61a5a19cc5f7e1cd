import Synchronization

/// Read-only services plugins offer each other through the host: a plugin never imports
/// another plugin, it looks up an interface declared here (``RosterDirectory``).
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

/// A household as the roster shares it with other plugins.
public struct HouseholdSummary: Sendable, Equatable {
    public var id: String
    public var building: String
    public var unit: String
    public var floor: Int
    public var room: String
    public var residents: [ResidentSummary]

    public init(id: String, building: String, unit: String, floor: Int, room: String, residents: [ResidentSummary]) {
        self.id = id
        self.building = building
        self.unit = unit
        self.floor = floor
        self.room = room
        self.residents = residents
    }
}

/// A resident as the roster shares it (no phone, no note: least privilege).
public struct ResidentSummary: Sendable, Equatable {
    public var name: String
    public var birthYear: Int?
    public var tags: [String]

    public init(name: String, birthYear: Int?, tags: [String]) {
        self.name = name
        self.birthYear = birthYear
        self.tags = tags
    }
}

/// The roster's read-only view for other plugins (offered by the `roster` plugin).
public protocol RosterDirectory: Sendable {
    /// Households in walking order (building, unit, floor, room), optionally only some buildings.
    func households(buildings: [String]?) async -> [HouseholdSummary]
    /// One household.
    func household(_ id: String) async -> HouseholdSummary?
    /// Households where a resident of this name lives.
    func households(withResident name: String) async -> [String]
    /// Every resident name with the households (walking order) where it lives, in one call,
    /// for matching long lists.
    func residentIndex() async -> [String: [String]]
}

/// What other plugins know about a household (offered by `visits`, shown by
/// `roster.household`): latest visit, open needs, test status.
public protocol HouseholdActivity: Sendable {
    /// A JSON object describing the household's activity, or nil if there is none; `full` is
    /// false for viewers, who must not see free text (it may hold personal data). Answered at
    /// once from locked state: `roster.household` calls it from an event loop (``ImmediateReads``).
    func activity(household: String, full: Bool) -> JSON?
}
