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
    /// The stock item it is taken from, when that has another name (an alias in
    /// `[plugins.supplies.aliases]`); set when the request is assigned.
    var stock: String?

    /// The stock item it is taken from.
    var stockName: String { stock ?? name }
    /// `降压药 2 盒` (`→ 硝苯地平片` when an alias matched it).
    var text: String { "\(name) \(quantity) \(unit)" + (stock.map { " → \($0)" } ?? "") }
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
    /// The need's category (food, medicine…), to list stock of that kind when none matches.
    var category: String?
    var status: RequestStatus
    var assignee: String?
    var openedAt: Int64
    var history: [HistoryEntry]

    /// `quantities` (by request item name) as taken from each stock item: items an alias
    /// sends to the same stock item are added up.
    func fromStock(_ quantities: [String: Int]) -> [String: Int] {
        var out: [String: Int] = [:]
        for (name, qty) in quantities { out[items.first { $0.name == name }?.stockName ?? name, default: 0] += qty }
        return out
    }

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
    /// food, medicine, heating, prevention or other, if given when received.
    var category: String?
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
    /// donation, spend, or void (a donation reversed: never a deletion).
    var kind: String
    var fen: Int
    var donor: String?
    var purpose: String?
    var request: Int?
    /// Whether the donor agreed to be named in the public statement.
    var consent: Bool?
    /// For a void: the ledger entry (1-based) it reverses, and why.
    var voids: Int?
    var reason: String?

    /// What it does to the balance.
    var signedFen: Int { kind == "donation" ? fen : -fen }
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
    var category: String?
    var at: Int64
}

/// `supplies.request.edit`: new items, priority, deadline or note, with what changed.
struct RequestEdited: StateEvent {
    static let eventType = "request.edit"
    static let schemaVersion = 1
    var id: Int
    var items: [Item]?
    var priority: String?
    var neededBy: Int64?
    var note: String?
    var change: String
    var by: String?
    var at: Int64
}

struct StatusChanged: StateEvent {
    static let eventType = "request.status"
    static let schemaVersion = 1
    var id: Int
    var status: RequestStatus
    /// The items as matched to stock when assigned (aliases resolved, units taken from stock).
    var items: [Item]?
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
    var category: String?
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

    var balance: Int { ledger.reduce(0) { $0 + $1.signedFen } }

    /// Units of stock item `item` promised to assigned or dispatched requests and not yet delivered.
    func reserved(_ item: String, except: Int? = nil) -> Int {
        requests.values.filter { ($0.status == .assigned || $0.status == .out) && $0.id != except }.reduce(0) { total, r in
            total + r.items.filter { $0.stockName == item }.reduce(0) { $0 + (r.remaining[$1.name] ?? 0) }
        }
    }

    /// The requests linked to need `need` that are still to be delivered.
    func activeRequests(forNeed need: Int, except: Int) -> [SupplyRequest] {
        requests.values.filter { $0.need == need && $0.id != except && $0.status != .delivered && $0.status != .cancelled }
    }

    /// The supplies journal records, each type and version with the function applying it.
    static let events = EventHandlers<SuppliesState>(
        .on(PrivacyPurged.self) { state, purged, _ in _ = state.purge(before: purged.before) },
        .on(RequestAdded.self) { state, a, _ in
            state.requests[state.nextRequest] = SupplyRequest(
                id: state.nextRequest, household: a.household, items: a.items, delivered: [:], priority: a.priority,
                neededBy: a.neededBy, note: a.note, need: a.need, category: a.category, status: .open, assignee: nil, openedAt: a.at,
                history: [HistoryEntry(at: a.at, status: "open", by: nil, note: a.note)])
            state.nextRequest += 1
        },
        .on(StatusChanged.self) { state, s, _ in
            state.requests[s.id]?.status = s.status
            if let items = s.items { state.requests[s.id]?.items = items }
            if let assignee = s.assignee { state.requests[s.id]?.assignee = assignee }
            state.requests[s.id]?.history.append(HistoryEntry(at: s.at, status: s.status.rawValue, by: s.by, note: s.note))
        },
        .on(Delivered.self) { state, d, _ in
            for (item, qty) in d.items.sorted(by: { $0.key < $1.key }) {
                state.requests[d.id]?.delivered[item, default: 0] += qty
                let stock = state.requests[d.id]?.items.first { $0.name == item }?.stockName ?? item
                state.stock[stock]?.onHand -= qty
                state.moves.append(StockMove(at: d.at, item: stock, delta: -qty, kind: "issue",
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
            if let category = m.category { state.stock[m.item]?.category = category }
            state.moves.append(StockMove(at: m.at, item: m.item, delta: m.delta, kind: m.source == "adjust" ? "adjust" : "receive",
                                         detail: m.source == "adjust" ? m.reason : [m.source, m.from].compactMap { $0 }.joined(separator: " ")))
        },
        .on(Threshold.self) { state, t, _ in
            state.stock[t.item]?.low = t.low
        },
        .on(RequestEdited.self) { state, e, _ in
            guard var r = state.requests[e.id] else { return }
            if let items = e.items { r.items = items }
            if let priority = e.priority { r.priority = priority }
            if let neededBy = e.neededBy { r.neededBy = neededBy }
            if let note = e.note { r.note = note }
            r.history.append(HistoryEntry(at: e.at, status: "edited", by: e.by, note: e.change))
            state.requests[e.id] = r
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
