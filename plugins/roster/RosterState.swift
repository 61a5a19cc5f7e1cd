import Foundation
import PluginAPI

/// A building leader (楼栋长): whom residents of the leader's buildings call.
struct Leader: Codable, Equatable, Sendable {
    var name: String
    var phone: String?
    var org: String?
    var buildings: [String]
    /// `cadre` (下沉干部) or `volunteer` (志愿者); absent in records of older releases.
    var kind: String?
}

/// Upserts and removals of residents, applied together (an import is one event).
struct ResidentsPut: StateEvent {
    static let eventType = "residents.put"
    static let schemaVersion = 1
    var residents: [Resident]
    /// (household, name) pairs removed first (a rename removes the old name).
    var remove: [[String]] = []
    /// Households created even without residents (vacant rooms).
    var households: [String] = []
}

struct ResidentRemove: StateEvent {
    static let eventType = "resident.remove"
    static let schemaVersion = 1
    var household: String
    var name: String
}

struct LeaderAssign: StateEvent {
    static let eventType = "leader.assign"
    static let schemaVersion = 1
    var leader: Leader
}

/// The roster's in-memory state, built only from its events.
struct RosterState: Codable, Sendable {
    /// Household id → residents by name.
    var households: [String: [String: Resident]] = [:]
    var leaders: [String: Leader] = [:]
    /// Household id → resident name → when the resident was last written (the time of the
    /// record): what `privacy.purge` goes by. Nil in snapshots from before it existed.
    var residentTimes: [String: [String: Int64]]?

    /// The roster's journal records, each type and version with the function applying it.
    static let events = EventHandlers<RosterState>(
        .on(ResidentsPut.self) { state, put, record in
            for pair in put.remove where pair.count == 2 {
                state.households[pair[0]]?.removeValue(forKey: pair[1])
                state.residentTimes?[pair[0]]?.removeValue(forKey: pair[1])
            }
            for id in put.households where state.households[id] == nil { state.households[id] = [:] }
            for r in put.residents {
                state.households[r.household, default: [:]][r.name] = r
                if state.residentTimes == nil { state.residentTimes = [:] }
                state.residentTimes![r.household, default: [:]][r.name] = record.time
            }
        },
        .on(ResidentRemove.self) { state, remove, _ in
            state.households[remove.household]?.removeValue(forKey: remove.name)
            state.residentTimes?[remove.household]?.removeValue(forKey: remove.name)
        },
        .on(PrivacyPurged.self) { state, purged, _ in _ = state.purge(before: purged.before) },
        .on(LeaderAssign.self) { state, assign, _ in
            let leader = assign.leader
            for name in state.leaders.keys { state.leaders[name]?.buildings.removeAll { leader.buildings.contains($0) } }
            state.leaders[leader.name] = leader
        }
    )

    mutating func apply(_ event: RecordedEvent) throws { try Self.events.apply(event, to: &self) }

    /// Household ids in walking order.
    var orderedHouseholds: [HouseholdID] { households.keys.compactMap(HouseholdID.init).sorted() }

    func resident(_ household: String, _ name: String) -> Resident? { households[household]?[name] }

    func leader(ofBuilding building: String) -> Leader? { leaders.values.first { $0.buildings.contains(building) } }

    var residentCount: Int { households.values.reduce(0) { $0 + $1.count } }
}
