import Foundation
import PluginAPI
import PluginSupport
public import VisitsInterface

/// No household forgotten: the follow-up list, campaign membership of households added later,
/// and needs whose request was cancelled.
extension VisitsPlugin {
    /// Households to go back to, in walking order: those whose latest visit was a refusal (in
    /// any campaign, closed ones too: until someone gets in), and every household with a need
    /// still open (answered at the door, so no longer on any worklist). `campaign` limits it to
    /// that campaign's households.
    func followupRows(campaign: Campaign? = nil, building: String? = nil, full: Bool = true) -> [JSON] {
        let now = now()
        let (households, refusals) = followupHouseholds(campaign: campaign, building: building)
        return households.sorted(by: WalkingOrder.precedes).map { h -> JSON in
                let needs = (state.openNeeds[h] ?? []).sorted().compactMap { state.needs[$0] }
                let refusal = refusals[h]
                let latest = refusal ?? state.lastVisit[h].map { state.visits[$0] }
                var reasons: [String] = []
                if refusal != nil { reasons.append("refused") }
                if !needs.isEmpty { reasons.append("open need") }
                let since = min(refusal?.at ?? .max, needs.map(\.openedAt).min() ?? .max)
                return ["household": .string(h), "reason": .string(reasons.joined(separator: ", ")),
                        "visitor": .optional(latest?.visitor), "at": latest.map { .string(ValueParser.iso8601($0.at)) } ?? .null,
                        "waiting_hours": .number(since == .max ? 0 : max(0, (now - since) / 3600)),
                        "needs": .string(needs.map { describe($0, full: full) }.joined(separator: "; ")),
                        "note": .optional(refusal?.note.map { full ? $0 : "***" })]
            }
    }

    /// The households of ``followupRows(campaign:building:full:)``, with the refusals among
    /// them (their latest visits): what the report counts, without building rows.
    func followupHouseholds(campaign: Campaign? = nil, building: String? = nil) -> (Set<String>, [String: Visit]) {
        var refusals: [String: Visit] = [:]
        for (h, i) in state.lastVisit where state.visits[i].outcome == .refused { refusals[h] = state.visits[i] }
        let households = Set(refusals.keys).union(state.openNeeds.filter { !$0.value.isEmpty }.keys).filter {
            (building == nil || WalkingOrder.building(of: $0) == building) && (campaign == nil || campaign!.buildingOf[$0] != nil)
        }
        return (households, refusals)
    }

    /// `need 3 medicine:降压药x2盒` (`need 3 medicine` for viewers), with why it is open again.
    nonisolated func describe(_ n: Need, full: Bool) -> String {
        var text = "need \(n.id) \(n.category.rawValue)"
        if full, let t = n.text { text += ":" + t }
        if n.reopenedAt != nil { text += " (reopened" + (full ? n.reopenNote.map { ": \($0)" } ?? "" : "") + ")" }
        return text
    }

    func followups(campaign name: String?, building: String?, full: Bool) throws -> Reply {
        let rows = followupRows(campaign: try name.map { try campaign($0) }, building: building, full: full)
        let refused = rows.filter { $0["reason"]?.plainText.contains("refused") == true }.count
        return Reply(data: .array(rows), message: "\(rows.count) households to follow up (\(refused) refused, "
            + "\(rows.count - refused) with open needs only)")
    }

    /// Households the roster added (`roster.households.added`, `{"households": [{"id", "building"}]}`)
    /// join every open campaign that covers their building: all buildings, or a list naming it.
    func householdsAdded(_ event: Event) async throws {
        guard case .array(let items)? = event.data["households"] else { return }
        let added: [(id: String, building: String)] = items.compactMap {
            guard case .string(let id)? = $0["id"], case .string(let b)? = $0["building"] else { return nil }
            return (id, b)
        }
        for c in state.openCampaigns {
            let joining = added.filter { c.buildingOf[$0.id] == nil && (c.buildings?.contains($0.building) ?? true) }
            guard !joining.isEmpty else { continue }
            let buildings = Array(Set(joining.map(\.building))).sorted(by: WalkingOrder.buildingPrecedes)
            let at = now()
            try await record(CampaignJoined(campaign: c.name, households: joining.map(\.id), buildings: joining.map(\.building), at: at),
                             announcing: [Announcement("visits.campaign.joined", [
                                 "campaign": .string(c.name), "households": .number(joining.count),
                                 "buildings": .array(buildings.map(JSON.string)),
                                 "by_building": Self.byBuilding(joining.map(\.building)), "at": .string(ValueParser.iso8601(at)),
                             ])])
        }
    }

    /// `*.need.reopened` (`{"need": ID, "request": N, "reason": …}`): what was to serve the need
    /// was cancelled with nothing delivered, so the need is open again with nothing on the way.
    func needReopened(_ event: Event) async throws {
        let source = String(event.name.prefix { $0 != "." })
        // visits.need.reopened is this plugin's own announcement.
        guard source != Self.id, case .int(let id)? = event.data["need"], let need = state.needs[Int(id)] else { return }
        // A need someone closed by hand stays closed: they know more than a cancelled request.
        if need.resolvedAt != nil, need.resolvedBy != source {
            context.logger.notice("a cancelled request's need stays resolved: it was closed by hand",
                                  metadata: ["need": "\(need.id)", "event": "\(event.name)", "seq": "\(event.seq)"])
            return
        }
        var note = "\(source)"
        if case .int(let request)? = event.data["request"] { note += " request \(request) cancelled" }
        if case .string(let reason)? = event.data["reason"] { note += ": \(reason)" }
        let at = now()
        try await record(NeedReopened(id: need.id, by: source, note: note, at: at),
                         announcing: [Announcement("visits.need.reopened", ["id": .number(need.id), "household": .string(need.household),
                                                                           "by": .string(source), "at": .string(ValueParser.iso8601(at))])])
    }
}

extension VisitsPlugin: NeedDirectory {
    public nonisolated func need(_ id: Int) -> NeedSummary? {
        shared.read { state in
            state.needs[id].map {
                NeedSummary(id: $0.id, household: $0.household, category: $0.category.rawValue, item: $0.item,
                            quantity: $0.quantity, unit: $0.unit, open: $0.resolvedAt == nil)
            }
        }
    }
}
