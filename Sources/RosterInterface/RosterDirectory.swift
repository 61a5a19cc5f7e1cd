/// The roster's read-only directory, as other plugins see it: offered by the `roster` plugin,
/// looked up through the host (`context.services.lookup((any RosterDirectory).self)`).

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

