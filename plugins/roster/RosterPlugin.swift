import Foundation
public import PluginAPI
import PluginSupport
public import RosterInterface
import VisitsInterface

/// The community roster: buildings, households, residents and building leaders.
public actor RosterPlugin: StatefulPlugin, RosterDirectory, RosterContacts {
    public static let id = "roster"
    public static let summary = "who lives where: households, residents, tags, building leaders"

    /// The state behind a lock, so reads can be answered on an event loop (immediate commands).
    let shared = LockedState(RosterState())
    var state: RosterState {
        _read { yield shared.value }
        _modify { yield &shared.value }
    }
    let context: PluginContext
    /// `[plugins.roster] keep_id_numbers`: keep whole ID numbers (default: the last 4 only).
    let keepIDNumbers: Bool

    public nonisolated var stateService: any StateService { context.state }

    public init(config: PluginConfig, context: PluginContext) throws {
        self.context = context
        keepIDNumbers = try config.bool("keep_id_numbers", default: false)
    }

    public func apply(_ event: RecordedEvent) throws { try state.apply(event) }

    /// The roster's directory, offered to other plugins while the roster runs.
    public static let offers: [ServiceOffer<RosterPlugin>] = [
        .offer((any RosterDirectory).self) { $0 },
        .offer((any RosterContacts).self) { $0 },
    ]

    public func leader(ofBuilding building: String) async -> LeaderContact? {
        state.leader(ofBuilding: building).map { LeaderContact(name: $0.name, phone: $0.phone, kind: $0.kind) }
    }

    public func phones(household: String) async -> [String: String] {
        guard let parsed = HouseholdID(household), let residents = state.households[parsed.description] else { return [:] }
        return residents.compactMapValues(\.phone)
    }

    public func households(buildings: [String]?) async -> [HouseholdSummary] {
        state.orderedHouseholds.filter { buildings == nil || buildings!.contains($0.building) }.map(summary)
    }

    public func residentIndex() async -> [String: [String]] {
        var index: [String: [String]] = [:]
        for id in state.orderedHouseholds { for name in state.households[id.description]!.keys { index[name, default: []].append(id.description) } }
        return index
    }

    public func households(withResident name: String) async -> [String] {
        state.orderedHouseholds.map(\.description).filter { state.households[$0]?[name] != nil }
    }

    public func household(_ id: String) async -> HouseholdSummary? {
        guard let parsed = HouseholdID(id), state.households[parsed.description] != nil else { return nil }
        return summary(parsed)
    }

    private func summary(_ id: HouseholdID) -> HouseholdSummary {
        let residents = state.households[id.description]!.values.sorted { $0.name < $1.name }
            .map { ResidentSummary(name: $0.name, birthYear: $0.birthYear, tags: $0.tags, due: $0.due) }
        return HouseholdSummary(id: id.description, building: id.building, unit: id.unit, floor: id.floor, room: id.room,
                                residents: residents)
    }

    public func encodeSnapshot() throws -> [UInt8] { try SnapshotJSON.encode(state) }

    public func restoreSnapshot(_ bytes: [UInt8]?) throws { state = try SnapshotJSON.decode(RosterState.self, bytes, empty: RosterState()) }

    /// Built aside and swapped in: immediate reads see the old state or the rebuilt one.
    public func rebuild(snapshot: [UInt8]?, events: [RecordedEvent]) throws {
        var fresh = try SnapshotJSON.decode(RosterState.self, snapshot, empty: RosterState())
        for event in events { try fresh.apply(event) }
        state = fresh
    }

    public func status() async -> JSON {
        ["households": .number(state.households.count), "residents": .number(state.residentCount)]
    }

    /// `roster.household`, with what other plugins know of the household (visits' activity).
    nonisolated func householdNow(_ text: String, full: Bool) throws -> Reply {
        var reply = try shared.read { try household(text, full: full, in: $0) }
        // Outside the roster's lock: visits takes its own.
        if let activity = context.services.lookup((any HouseholdActivity).self),
            let extra = activity.activity(household: text, full: full), case .object(var fields) = reply.data
        {
            fields.append(("activity", extra))
            reply.data = .object(fields)
        }
        return reply
    }

    /// `roster.export`: `data.csv` is the file exactly (BOM, CRLF); the data lines are its
    /// lines, the first with the BOM, so `doorstepctl roster.export format=csv > FILE` opens
    /// as UTF-8 in Excel too (with LF line ends; `--field csv` writes the CRLF file).
    func exportCSV(headers: RosterImport.Headers) -> Reply {
        let residents = state.orderedHouseholds.flatMap { id in
            state.households[id.description]!.values.sorted { $0.name < $1.name }
        }
        let vacant = state.orderedHouseholds.filter { state.households[$0.description]!.isEmpty }
        var lines = RosterImport.export(residents, vacant: vacant, headers: headers)
        let csv = RosterImport.file(lines)
        lines[0] = "\u{FEFF}" + lines[0]
        return Reply(data: ["csv": .string(csv), "residents": .number(residents.count), "vacant": .number(vacant.count),
                            "headers": .string(headers.rawValue)],
                     lines: lines, message: "\(residents.count) residents, \(vacant.count) vacant households").zh("\(residents.count) 名居民，\(vacant.count) 户空置")
    }
}
