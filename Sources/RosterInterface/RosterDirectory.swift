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
    /// The due date (`YYYY-MM-DD`) of a resident tagged `pregnant`, when the roster has one.
    public var due: String?

    public init(name: String, birthYear: Int?, tags: [String], due: String? = nil) {
        self.name = name
        self.birthYear = birthYear
        self.tags = tags
        self.due = due
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


/// A building leader (楼栋长) as the roster shares it with plugins that must call one.
public struct LeaderContact: Sendable, Equatable {
    public var name: String
    public var phone: String?
    /// `cadre` (下沉干部) or `volunteer`, when recorded.
    public var kind: String?

    public init(name: String, phone: String?, kind: String?) {
        self.name = name
        self.phone = phone
        self.kind = kind
    }
}

/// Phones, for the plugins whose job is to call people (emergencies: the building leader to
/// wake, a household's phones for the responder). Offered by the `roster` plugin beside
/// ``RosterDirectory``, which has no phone at all (least privilege); a consumer masks what it
/// shows viewers as the roster does (`138****5678`) and keeps phones out of events and logs.
public protocol RosterContacts: Sendable {
    /// The leader of `building`, if it has one.
    func leader(ofBuilding building: String) async -> LeaderContact?
    /// The phones of a household's residents, by name (residents without a phone left out).
    func phones(household: String) async -> [String: String]
}
