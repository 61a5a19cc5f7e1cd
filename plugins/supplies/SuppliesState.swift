import Foundation
import PluginAPI

/// Where a request is in its life (docs: plugins/supplies/README.md).
enum RequestStatus: String, Codable, Sendable {
    case open, assigned, out, delivered, cancelled

    /// The states each state may move to.
    var next: Set<RequestStatus> {
        switch self {
        case .open: return [.assigned, .cancelled]
        case .assigned: return [.out, .cancelled, .delivered]
        case .out: return [.delivered, .cancelled]
        case .delivered, .cancelled: return []
        }
    }
}

struct Item: Codable, Sendable, Equatable {
    var name: String
    var quantity: Int
    var unit: String
}

struct HistoryEntry: Codable, Sendable {
    var at: Int64
    var status: String
    var by: String?
    var note: String?
}

struct SupplyRequest: Codable, Sendable {
    var id: Int
    var household: String
    var items: [Item]
    var delivered: [String: Int]
    var priority: String
    var neededBy: Int64?
    var note: String?
    var need: Int?
    var status: RequestStatus
    var assignee: String?
    var openedAt: Int64
    var history: [HistoryEntry]

    /// What is still to deliver, per item.
    var remaining: [String: Int] {
        var out: [String: Int] = [:]
        for item in items { out[item.name] = max(0, item.quantity - (delivered[item.name] ?? 0)) }
        return out
    }
}

/// One line of the stock card: every receipt, issue and adjustment.
struct StockMove: Codable, Sendable {
    var at: Int64
    var item: String
    var delta: Int
    var kind: String
    var detail: String?
}

struct StockItem: Codable, Sendable {
    var onHand: Int
    var unit: String
    /// At or below this, `supplies.stock.low` is published.
    var low: Int?
}

/// A delivery run: assigned requests of some buildings, in walking order.
struct Run: Codable, Sendable {
    var id: Int
    var buildings: [String]
    var requests: [Int]
    var at: Int64
    var doneAt: Int64?
}

struct Movement: Codable, Sendable {
    var at: Int64
    var kind: String
    var fen: Int
    var donor: String?
    var purpose: String?
    var request: Int?
}

// MARK: events

struct RequestAdded: StateEvent {
    static let eventType = "request.add"
    static let schemaVersion = 1
    var household: String
    var items: [Item]
    var priority: String
    var neededBy: Int64?
    var note: String?
    var need: Int?
    var at: Int64
}

struct StatusChanged: StateEvent {
    static let eventType = "request.status"
    static let schemaVersion = 1
    var id: Int
    var status: RequestStatus
    var assignee: String?
    var by: String?
    var note: String?
    var at: Int64
}

struct Delivered: StateEvent {
    static let eventType = "delivery"
    static let schemaVersion = 1
    var id: Int
    var items: [String: Int]
    var by: String?
    var note: String?
    var at: Int64
}

struct StockMoved: StateEvent {
    static let eventType = "stock"
    static let schemaVersion = 1
    var item: String
    var delta: Int
    var unit: String
    var source: String
    var from: String?
    var reason: String?
    var at: Int64
}

struct Threshold: StateEvent {
    static let eventType = "stock.threshold"
    static let schemaVersion = 1
    var item: String
    var low: Int
}

struct RunPlanned: StateEvent {
    static let eventType = "run.plan"
    static let schemaVersion = 1
    var buildings: [String]
    var requests: [Int]
    var at: Int64
}

struct RunDone: StateEvent {
    static let eventType = "run.done"
    static let schemaVersion = 1
    var id: Int
    var at: Int64
}

struct CashMoved: StateEvent {
    static let eventType = "cash"
    static let schemaVersion = 1
    var movement: Movement
}

/// The supplies state, built only from events.
struct SuppliesState: Codable, Sendable {
    var requests: [Int: SupplyRequest] = [:]
    var nextRequest = 1
    var stock: [String: StockItem] = [:]
    var ledger: [Movement] = []
    var runs: [Int: Run] = [:]
    var nextRun = 1
    var moves: [StockMove] = []

    var balance: Int { ledger.reduce(0) { $0 + ($1.kind == "donation" ? $1.fen : -$1.fen) } }

    /// Units promised to assigned or dispatched requests and not yet delivered.
    func reserved(_ item: String) -> Int {
        requests.values.filter { $0.status == .assigned || $0.status == .out }.reduce(0) { $0 + ($1.remaining[item] ?? 0) }
    }

    /// The supplies journal records, each type and version with the function applying it.
    static let events = EventHandlers<SuppliesState>(
        .on(RequestAdded.self) { state, a, _ in
            state.requests[state.nextRequest] = SupplyRequest(
                id: state.nextRequest, household: a.household, items: a.items, delivered: [:], priority: a.priority,
                neededBy: a.neededBy, note: a.note, need: a.need, status: .open, assignee: nil, openedAt: a.at,
                history: [HistoryEntry(at: a.at, status: "open", by: nil, note: a.note)])
            state.nextRequest += 1
        },
        .on(StatusChanged.self) { state, s, _ in
            state.requests[s.id]?.status = s.status
            if let assignee = s.assignee { state.requests[s.id]?.assignee = assignee }
            state.requests[s.id]?.history.append(HistoryEntry(at: s.at, status: s.status.rawValue, by: s.by, note: s.note))
        },
        .on(Delivered.self) { state, d, _ in
            for (item, qty) in d.items.sorted(by: { $0.key < $1.key }) {
                state.requests[d.id]?.delivered[item, default: 0] += qty
                state.stock[item]?.onHand -= qty
                state.moves.append(StockMove(at: d.at, item: item, delta: -qty, kind: "issue",
                                             detail: "request \(d.id) to \(state.requests[d.id]?.household ?? "?")"))
            }
            let done = state.requests[d.id]?.remaining.values.allSatisfy { $0 == 0 } ?? false
            if done { state.requests[d.id]?.status = .delivered }
            let what = d.items.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")
            state.requests[d.id]?.history.append(HistoryEntry(at: d.at, status: done ? "delivered" : "partly delivered: \(what)",
                                                              by: d.by, note: d.note))
        },
        .on(StockMoved.self) { state, m, _ in
            state.stock[m.item, default: StockItem(onHand: 0, unit: m.unit)].onHand += m.delta
            state.moves.append(StockMove(at: m.at, item: m.item, delta: m.delta, kind: m.source == "adjust" ? "adjust" : "receive",
                                         detail: m.source == "adjust" ? m.reason : [m.source, m.from].compactMap { $0 }.joined(separator: " ")))
        },
        .on(Threshold.self) { state, t, _ in
            state.stock[t.item]?.low = t.low
        },
        .on(RunPlanned.self) { state, p, _ in
            state.runs[state.nextRun] = Run(id: state.nextRun, buildings: p.buildings, requests: p.requests, at: p.at, doneAt: nil)
            state.nextRun += 1
        },
        .on(RunDone.self) { state, d, _ in
            state.runs[d.id]?.doneAt = d.at
        },
        .on(CashMoved.self) { state, c, _ in
            state.ledger.append(c.movement)
        }
    )

    mutating func apply(_ event: RecordedEvent) throws { try Self.events.apply(event, to: &self) }
}
