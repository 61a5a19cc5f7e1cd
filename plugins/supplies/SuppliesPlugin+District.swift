import PluginAPI
import PluginSupport

/// The events that let the district count what the nightly report counts (docs/district.md):
/// requests opened, delivered and cancelled, and the ledger's amounts. Ids, kinds, amounts and
/// times only: no items (medicine is health data), donors, purposes or reasons.
extension SuppliesPlugin {
    /// `supplies.request.opened` `{"id", "household", "category", "need", "priority", "at"}`.
    nonisolated static func requestOpened(id: Int, household: String, category: String?, need: Int?, priority: String, at: Int64) -> Announcement {
        Announcement("supplies.request.opened", [
            "id": .number(id), "household": .string(household), "category": .optional(category),
            "need": need.map { .number($0) } ?? .null, "priority": .string(priority), "at": .string(ValueParser.iso8601(at)),
        ])
    }

    /// `supplies.request.delivered` / `supplies.request.cancelled` `{"id", "household", "at"}`:
    /// the request's last item delivered, or the request cancelled.
    nonisolated static func requestEnded(_ name: String, _ r: SupplyRequest, at: Int64) -> Announcement {
        Announcement("supplies.request." + name, ["id": .number(r.id), "household": .string(r.household), "at": .string(ValueParser.iso8601(at))])
    }

    /// `supplies.cash.moved` `{"entry", "kind", "fen", "balance_fen", "at"}`: a ledger entry
    /// (donation, spend or void) as amounts only.
    func cashMoved(_ m: Movement) -> Announcement {
        Announcement("supplies.cash.moved", [
            "entry": .number(state.ledger.count + 1), "kind": .string(m.kind), "fen": .number(m.fen),
            "balance_fen": .number(state.balance + m.signedFen), "at": .string(ValueParser.iso8601(m.at)),
        ])
    }
}
