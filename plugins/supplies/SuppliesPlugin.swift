import Foundation
public import PluginAPI

/// Supplies: needs found on visits become doorstep deliveries; stock and the donations ledger.
public actor SuppliesPlugin: StatefulPlugin {
    public static let id = "supplies"
    public static let summary = "requests to doorstep delivery, stock, donations ledger"
    public static let commands: [CommandSpec] = SuppliesCommands.specs

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

    /// Opens a request for every food, medicine or heating need a visit finds.
    public func run() async throws {
        for await event in context.events.subscribe(["visits.need.opened"]) {
            guard case .int(let need)? = event.data["id"], case .string(let household)? = event.data["household"],
                case .string(let category)? = event.data["category"], ["food", "medicine", "heating"].contains(category),
                !state.requests.values.contains(where: { $0.need == Int(need) })
            else { continue }
            let item = Item(name: category, quantity: 1, unit: "份")
            do {
                let priority = category == "food" ? "normal" : "high"
                try await record(RequestAdded(household: household, items: [item], priority: priority, neededBy: nil,
                                              note: "from visit need \(need)", need: Int(need), at: Self.now()))
            } catch {
                context.logger.error("cannot open a request for a need", metadata: ["need": "\(need)", "error": "\(error)"])
            }
        }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    public func handle(_ request: Request) async throws -> Reply {
        switch request.command {
        case "supplies.request.add": return try await addRequest(request)
        case "supplies.request.assign": return try await transition(request, to: .assigned, assignee: request.string("to"))
        case "supplies.request.dispatch": return try await transition(request, to: .out)
        case "supplies.request.cancel": return try await transition(request, to: .cancelled, note: request.string("reason"))
        case "supplies.request.deliver": return try await deliver(request)
        case "supplies.requests": return requests(request)
        case "supplies.request": return try requestDetail(try request.int("id")!, full: request.caller.role >= .operator)
        case "supplies.stock.receive": return try await receive(request)
        case "supplies.stock.adjust": return try await adjust(request)
        case "supplies.stock": return stock()
        case "supplies.stock.moves": return stockMoves(request.string("item"))
        case "supplies.donation.add": return try await donation(request)
        case "supplies.cash.spend": return try await spend(request)
        case "supplies.ledger": return ledger(full: request.caller.role >= .operator)
        case "supplies.ledger.public": return publicStatement(anonymise: try request.bool("anonymise") ?? false)
        case "supplies.stock.threshold": return try await threshold(request)
        case "supplies.run.plan": return try await planRun(request)
        case "supplies.run.done": return try await runDone(request)
        case "supplies.report": return try report(request)
        default: throw ControlError.unknownCommand("supplies has no command \(request.command)")
        }
    }
}
