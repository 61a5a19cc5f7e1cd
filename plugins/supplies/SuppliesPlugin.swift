import Foundation
public import PluginAPI
import PluginSupport

/// Supplies: needs found on visits become doorstep deliveries; stock and the donations ledger.
public actor SuppliesPlugin: StatefulPlugin {
    public static let id = "supplies"
    public static let summary = "requests to doorstep delivery, stock, donations ledger"

    var state = SuppliesState()
    let context: PluginContext

    public nonisolated var stateService: any StateService { context.state }

    public init(config: PluginConfig, context: PluginContext) throws { self.context = context }

    public func apply(_ event: RecordedEvent) throws { try state.apply(event) }

    public func encodeSnapshot() throws -> [UInt8] { try SnapshotJSON.encode(state) }

    public func restoreSnapshot(_ bytes: [UInt8]?) throws { state = try SnapshotJSON.decode(SuppliesState.self, bytes, empty: SuppliesState()) }

    public func status() async -> JSON {
        ["open_requests": .number(state.requests.values.filter { $0.status != .delivered && $0.status != .cancelled }.count),
         "balance_fen": .number(state.balance)]
    }

    /// Opens a request for every food, medicine or heating need a visit finds. Durable: fed
    /// from the journal through this plugin's cursor, so a need recorded while supplies was
    /// disabled, restarting or down still gets its request, exactly once.
    public static let reactions: [EventReaction<SuppliesPlugin>] = [
        .on("visits.need.opened") { supplies, event in try await supplies.needOpened(event) },
    ]

    func needOpened(_ event: Event) async throws {
        // A need that already has a request (made before cursors existed, or by hand) is consumed.
        guard case .int(let need)? = event.data["id"], case .string(let household)? = event.data["household"],
            case .string(let category)? = event.data["category"], ["food", "medicine", "heating"].contains(category),
            !state.requests.values.contains(where: { $0.need == Int(need) })
        else { return }
        let item = Item(name: category, quantity: 1, unit: "份")
        let priority = category == "food" ? "normal" : "high"
        try await record(RequestAdded(household: household, items: [item], priority: priority, neededBy: nil,
                                      note: "from visit need \(need)", need: Int(need), at: now()))
    }

    /// The community's wall clock (manual in tests).
    nonisolated func now() -> Int64 { context.clock.now() }
}
