import Foundation
public import PluginAPI
import PluginSupport
import RosterInterface
public import VisitsInterface

/// The door-knocking action (敲门行动): campaigns, worklists, visits, revisits, needs, coverage.
public actor VisitsPlugin: StatefulPlugin, HouseholdActivity {
    public static let id = "visits"
    public static let summary = "door-knocking campaigns: worklists, visits, revisits, needs, coverage, daily report"

    /// The state behind a lock: `roster.household` reads activity from an event loop.
    let shared = LockedState(VisitsState())
    var state: VisitsState {
        _read { yield shared.value }
        _modify { yield &shared.value }
    }
    let context: PluginContext

    public nonisolated var stateService: any StateService { context.state }

    public init(config: PluginConfig, context: PluginContext) throws {
        self.context = context
        if config.values["utc_offset_hours"] != nil {
            throw ConfigError(key: "utc_offset_hours", "was removed: days and times now follow the community's time zone; "
                + "delete it and set [daemon] timezone = \"Asia/Shanghai\" (an IANA name) instead")
        }
    }

    public func apply(_ event: RecordedEvent) throws { try state.apply(event) }

    /// Household activity (latest visit, open needs, tests), offered to the roster while visits runs.
    public static let offers: [ServiceOffer<VisitsPlugin>] = [
        .offer((any HouseholdActivity).self) { $0 },
        .offer((any NeedDirectory).self) { $0 },
    ]

    /// Closes needs that another plugin reports fulfilled (`*.need.fulfilled` events with
    /// `{"need": ID}`, e.g. from supplies when the last item is delivered). Durable: the host
    /// feeds it from the journal, so a fulfilment committed before a crash still closes its need.
    public static let reactions: [EventReaction<VisitsPlugin>] = [
        .on("*.need.fulfilled") { visits, event in try await visits.needFulfilled(event) },
        .on("*.need.reopened") { visits, event in try await visits.needReopened(event) },
        .on("roster.households.added") { visits, event in try await visits.householdsAdded(event) },
    ]

    /// `visits.need.resolved`, announced with the record that resolves the need.
    nonisolated static func resolvedEvent(_ need: Need, by source: String?, at: Int64) -> Announcement {
        var fields: [(String, JSON)] = [("id", .number(need.id)), ("household", .string(need.household))]
        if let source { fields.append(("by", .string(source))) }
        fields.append(("at", .string(ValueParser.iso8601(at))))
        return Announcement("visits.need.resolved", .object(fields))
    }

    /// Resolves the need an event names; one that is unknown or already resolved (a replay of
    /// an event already handled, or a need closed by hand) is consumed without a change.
    func needFulfilled(_ event: Event) async throws {
        guard case .int(let id)? = event.data["need"], let need = state.needs[Int(id)], need.resolvedAt == nil else {
            context.logger.notice("ignored a need.fulfilled event without an open need",
                                  metadata: ["event": "\(event.name)", "seq": "\(event.seq)"])
            return
        }
        let source = String(event.name.prefix { $0 != "." })
        let note: String? = if case .string(let text)? = event.data["note"] ?? event.data["text"] { text } else { nil }
        let at = now()
        try await record(NeedResolved(id: need.id, by: source, note: note, at: at),
                         announcing: [Self.resolvedEvent(need, by: source, at: at)])
    }

    public func encodeSnapshot() throws -> [UInt8] { try SnapshotJSON.encode(state) }

    public func restoreSnapshot(_ bytes: [UInt8]?) throws { state = try SnapshotJSON.decode(VisitsState.self, bytes, empty: VisitsState()) }

    /// Built aside and swapped in: `roster.household` reads activity from an event loop.
    public func rebuild(snapshot: [UInt8]?, events: [RecordedEvent]) throws {
        var fresh = try SnapshotJSON.decode(VisitsState.self, snapshot, empty: VisitsState())
        for event in events { try fresh.apply(event) }
        state = fresh
    }

    public func status() async -> JSON {
        ["campaigns": .number(state.campaigns.count), "visits": .number(state.visits.count),
         "open_needs": .number(state.needs.values.filter { $0.resolvedAt == nil }.count)]
    }

    var roster: any RosterDirectory {
        get throws {
            guard let roster = context.services.lookup((any RosterDirectory).self) else {
                throw ControlError.unavailable("the roster plugin is not running; visits needs it for households")
            }
            return roster
        }
    }

    func campaign(_ name: String?) throws -> Campaign {
        if let name {
            guard let c = state.campaigns[name] else { throw ControlError.notFound("campaign \(name) does not exist").zh("排查轮次 \(name) 不存在") }
            return c
        }
        guard let c = state.currentCampaign else {
            throw ControlError.notFound("no campaign yet; start one with visits.campaign.start NAME deadline=TIME").zh("还没有排查轮次；用 visits.campaign.start 名称 deadline=时间 开始一轮")
        }
        return c
    }

    /// The community's wall clock (manual in tests).
    nonisolated func now() -> Int64 { context.clock.now() }
}
