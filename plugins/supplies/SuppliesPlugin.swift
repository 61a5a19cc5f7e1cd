import Foundation
public import PluginAPI
import PluginSupport
import VisitsInterface

/// Supplies: needs found on visits become doorstep deliveries; stock and the donations ledger.
public actor SuppliesPlugin: StatefulPlugin {
    public static let id = "supplies"
    public static let summary = "requests to doorstep delivery, stock, donations ledger"

    var state = SuppliesState()
    let context: PluginContext
    /// `[plugins.supplies.aliases]`: what a request may call a stock item (`降压药 = "硝苯地平片"`).
    let aliases: [String: String]

    public nonisolated var stateService: any StateService { context.state }

    public init(config: PluginConfig, context: PluginContext) throws {
        self.context = context
        var aliases: [String: String] = [:]
        switch config.raw("aliases") {
        case nil: break
        case .table(let table)?:
            for (name, value) in table {
                guard case .string(let target) = value, !target.isEmpty else {
                    throw ConfigError(key: "aliases.\(name)", "expected the name of a stock item as a string (e.g. \"降压药\" = \"硝苯地平片\"), got \(value.typeName)")
                }
                aliases[name] = target
            }
        case let other?:
            throw ConfigError(key: "aliases", "expected a table of names to stock items ([plugins.supplies.aliases]), got \(other.typeName)")
        }
        self.aliases = aliases
    }

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
        // What and how much, from visits (the event carries no free text: it reaches viewers).
        let detail = context.services.lookup((any NeedDirectory).self)?.need(Int(need))
        var note = "from visit need \(need)"
        if detail == nil {
            // visits is not running (disabled, or restarting): open the request anyway, so the
            // need is not lost, and say that what it asks for must be checked.
            note += "; what is needed could not be read (visits not running): check it and edit the request"
            context.logger.warning("a need's item and quantity could not be read: visits is not running",
                                   metadata: ["need": "\(need)", "household": "\(household)"])
        }
        let item = Item(name: detail?.item ?? Self.defaultItem[category] ?? category, quantity: detail?.quantity ?? 1,
                        unit: detail?.unit ?? Self.unspecifiedUnit)
        let priority = category == "food" ? "normal" : "high"
        let at = now(), id = state.nextRequest
        try await record(RequestAdded(household: household, items: [item], priority: priority, neededBy: nil,
                                      note: note, need: Int(need), category: category, at: at),
                         announcing: [Self.requestOpened(id: id, household: household, category: category, need: Int(need), priority: priority, at: at)])
    }

    /// The item of a need that names none.
    static let defaultItem = ["food": "食品", "medicine": "药品", "heating": "取暖物资"]
    /// The unit of an item whose request gave none: the stock's unit is taken when it is matched.
    static let unspecifiedUnit = "份"

    /// The community's wall clock (manual in tests).
    nonisolated func now() -> Int64 { context.clock.now() }
}
