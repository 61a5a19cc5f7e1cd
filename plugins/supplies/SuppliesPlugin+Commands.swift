import Foundation
import PluginAPI

extension SuppliesPlugin {
    /// `大米:10kg;食用油:1L` → items.
    static func parseItems(_ text: String) throws -> [Item] {
        var items: [Item] = []
        for part in text.split(whereSeparator: { $0 == ";" || $0 == "；" }) {
            let pieces = part.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, !pieces[0].isEmpty else {
                throw ControlError.invalidArgument("argument 'items': '\(part)' is not ITEM:QUANTITYUNIT (e.g. 大米:10kg)")
            }
            let digits = pieces[1].prefix { $0.isNumber }
            guard let qty = Int(digits), qty > 0 else {
                throw ControlError.invalidArgument("argument 'items': '\(pieces[1])' for \(pieces[0]) needs a whole positive quantity")
            }
            let unit = pieces[1].dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
            guard !items.contains(where: { $0.name == pieces[0] }) else {
                throw ControlError.invalidArgument("argument 'items': \(pieces[0]) is listed twice")
            }
            items.append(Item(name: pieces[0], quantity: qty, unit: unit.isEmpty ? "份" : unit))
        }
        guard !items.isEmpty else { throw ControlError.invalidArgument("argument 'items': name at least one item") }
        return items
    }

    /// `2700`, `2,700.50`, `¥2700`, `￥2,700` → fen.
    static func parseFen(_ text: String) throws -> Int {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("¥") || t.hasPrefix("￥") { t.removeFirst() }
        if t.hasSuffix("元") { t.removeLast() }
        t = t.replacingOccurrences(of: ",", with: "")
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let yuan = Int(parts[0]), yuan >= 0, yuan < 10_000_000_000,
            parts.count == 1 || (1...2).contains(parts[1].count) && parts[1].allSatisfy(\.isNumber)
        else {
            throw ControlError.invalidArgument("argument 'amount': '\(text)' is not an amount in yuan such as 2700, 2,700.50 or ¥2700")
        }
        let fen = parts.count == 2 ? Int(parts[1].padding(toLength: 2, withPad: "0", startingAt: 0))! : 0
        let total = yuan * 100 + fen
        guard total > 0 else { throw ControlError.invalidArgument("argument 'amount': must be more than zero") }
        return total
    }

    static func yuan(_ fen: Int) -> String { "\(fen / 100).\(String(format: "%02d", abs(fen % 100)))" }

    func existing(_ id: Int) throws -> SupplyRequest {
        guard let r = state.requests[id] else { throw ControlError.notFound("request \(id) does not exist") }
        return r
    }

    func addRequest(_ request: Request) async throws -> Reply {
        let household = request.string("household")!
        if let roster = context.services.lookup((any RosterDirectory).self), await roster.household(household) == nil {
            throw ControlError.notFound("household \(household) does not exist")
        }
        let items = try Self.parseItems(request.string("items")!)
        let id = state.nextRequest
        let seq = try await record(RequestAdded(household: household, items: items, priority: request.string("priority") ?? "normal",
                                                neededBy: try request.time("needed_by"), note: request.string("note"), need: nil,
                                                at: Self.now()))
        return Reply(data: ["id": .number(id), "seq": .number(seq)], lines: [], message: "request \(id) for \(household) opened")
    }

    func transition(_ request: Request, to status: RequestStatus, assignee: String? = nil, note: String? = nil) async throws -> Reply {
        let id = try request.int("id")!
        let r = try existing(id)
        guard r.status.next.contains(status) else {
            throw ControlError.conflict("request \(id) is \(r.status.rawValue); it cannot become \(status.rawValue)")
        }
        if status == .assigned {
            // Reserve stock: everything assigned must be deliverable.
            for (item, qty) in r.remaining where qty > 0 {
                let available = (state.stock[item]?.onHand ?? 0) - state.reserved(item)
                guard available >= qty else {
                    throw ControlError.conflict("request \(id) needs \(qty) \(item); \(max(0, available)) available")
                }
            }
        }
        let seq = try await record(StatusChanged(id: id, status: status, assignee: assignee, by: request.string("by"), note: note,
                                                 at: Self.now()))
        return Reply(data: ["id": .number(id), "status": .string(status.rawValue), "seq": .number(seq)], lines: [],
                     message: "request \(id) \(status.rawValue)" + (assignee.map { " to \($0)" } ?? ""))
    }

    func deliver(_ request: Request) async throws -> Reply {
        let id = try request.int("id")!
        let r = try existing(id)
        guard r.status == .assigned || r.status == .out else {
            throw ControlError.conflict("request \(id) is \(r.status.rawValue); only an assigned or dispatched request is delivered")
        }
        var items: [String: Int] = [:]
        if let text = request.string("items") {
            for item in try Self.parseItems(text) {
                guard let left = r.remaining[item.name] else {
                    throw ControlError.invalidArgument("request \(id) has no item \(item.name)")
                }
                guard item.quantity <= left else {
                    throw ControlError.invalidArgument("request \(id) has \(left) \(item.name) left to deliver, not \(item.quantity)")
                }
                items[item.name] = item.quantity
            }
        } else {
            items = r.remaining.filter { $0.value > 0 }
        }
        for (item, qty) in items {
            let onHand = state.stock[item]?.onHand ?? 0
            guard onHand >= qty else {
                throw ControlError.conflict("cannot deliver \(qty) \(item): \(onHand) on hand; stock never goes negative")
            }
        }
        let seq = try await record(Delivered(id: id, items: items, by: request.string("by"), note: request.string("note"), at: Self.now()))
        let after = state.requests[id]!
        if after.status == .delivered, let need = after.need {
            _ = try? context.events.publish("supplies.need.fulfilled", ["need": .number(need), "request": .number(id),
                                                                        "note": .string("delivered by supplies request \(id)")])
        }
        return Reply(data: ["id": .number(id), "status": .string(after.status.rawValue), "seq": .number(seq)], lines: [],
                     message: after.status == .delivered ? "request \(id) delivered" : "request \(id) partly delivered")
    }

    func requestJSON(_ r: SupplyRequest, now: Int64) -> JSON {
        ["id": .number(r.id), "household": .string(r.household), "priority": .string(r.priority), "status": .string(r.status.rawValue),
         "items": .string(r.items.map { "\($0.name):\($0.quantity)\($0.unit)" }.joined(separator: ";")),
         "remaining": .string(r.remaining.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ";")),
         "assignee": .optional(r.assignee), "need": r.need.map { .number($0) } ?? .null,
         "age_hours": .number((now - r.openedAt) / 3600)]
    }

    func requests(_ request: Request) -> Reply {
        let status = request.string("status") ?? "active", priority = request.string("priority")
        let rank = ["urgent": 0, "high": 1, "normal": 2]
        let now = Self.now()
        let rows = state.requests.values.filter { r in
            (status == "all" || (status == "active" ? r.status != .delivered && r.status != .cancelled : r.status.rawValue == status))
                && (priority == nil || r.priority == priority)
        }.sorted { (rank[$0.priority] ?? 3, $0.openedAt, $0.id) < (rank[$1.priority] ?? 3, $1.openedAt, $1.id) }
            .map { requestJSON($0, now: now) }
        return Reply(data: .array(rows), message: "\(rows.count) requests")
    }

    func requestDetail(_ id: Int) throws -> Reply {
        let r = try existing(id)
        guard case .object(var fields) = requestJSON(r, now: Self.now()) else { return Reply() }
        fields.append(("history", .array(r.history.map {
            ["at": .string(ValueParser.iso8601($0.at)), "status": .string($0.status), "by": .optional($0.by), "note": .optional($0.note)]
        })))
        return Reply(data: .object(fields), message: "request \(id)")
    }

    func receive(_ request: Request) async throws -> Reply {
        let item = request.string("item")!, unit = request.string("unit")!
        if let existing = state.stock[item], existing.unit != unit {
            throw ControlError.conflict("\(item) is counted in \(existing.unit), not \(unit)")
        }
        let qty = try request.int("qty")!
        let seq = try await record(StockMoved(item: item, delta: qty, unit: unit, source: request.string("source")!,
                                              from: request.string("from"), reason: nil, at: Self.now()))
        return Reply(data: ["item": .string(item), "on_hand": .number(state.stock[item]!.onHand), "seq": .number(seq)], lines: [],
                     message: "received \(qty) \(unit) \(item); \(state.stock[item]!.onHand) on hand")
    }

    func adjust(_ request: Request) async throws -> Reply {
        let item = request.string("item")!
        guard let current = state.stock[item] else { throw ControlError.notFound("no stock of \(item)") }
        let delta = try request.int("delta")!
        guard current.onHand + delta >= 0 else {
            throw ControlError.conflict("\(item): \(current.onHand) on hand; an adjustment of \(delta) would go below zero")
        }
        let seq = try await record(StockMoved(item: item, delta: delta, unit: current.unit, source: "adjust", from: nil,
                                              reason: request.string("reason"), at: Self.now()))
        return Reply(data: ["item": .string(item), "on_hand": .number(state.stock[item]!.onHand), "seq": .number(seq)], lines: [],
                     message: "\(item): \(state.stock[item]!.onHand) on hand")
    }

    func stock() -> Reply {
        let rows = state.stock.keys.sorted().map { item -> JSON in
            let s = state.stock[item]!, reserved = state.reserved(item)
            return ["item": .string(item), "unit": .string(s.unit), "on_hand": .number(s.onHand), "reserved": .number(reserved),
                    "available": .number(s.onHand - reserved)]
        }
        return Reply(data: .array(rows), message: "\(rows.count) items")
    }

    func donation(_ request: Request) async throws -> Reply {
        let fen = try Self.parseFen(request.string("amount")!)
        let seq = try await record(CashMoved(movement: Movement(at: Self.now(), kind: "donation", fen: fen, donor: request.string("donor"),
                                                                purpose: request.string("purpose"), request: nil)))
        return Reply(data: ["fen": .number(fen), "balance_fen": .number(state.balance), "seq": .number(seq)], lines: [],
                     message: "donation of ¥\(Self.yuan(fen)) from \(request.string("donor")!); balance ¥\(Self.yuan(state.balance))")
    }

    func spend(_ request: Request) async throws -> Reply {
        let fen = try Self.parseFen(request.string("amount")!)
        guard fen <= state.balance else {
            throw ControlError.conflict("spending ¥\(Self.yuan(fen)) would take the balance of ¥\(Self.yuan(state.balance)) below zero")
        }
        if let id = try request.int("request") { _ = try existing(id) }
        let seq = try await record(CashMoved(movement: Movement(at: Self.now(), kind: "spend", fen: fen, donor: nil,
                                                                purpose: request.string("purpose"), request: try request.int("request"))))
        return Reply(data: ["fen": .number(fen), "balance_fen": .number(state.balance), "seq": .number(seq)], lines: [],
                     message: "spent ¥\(Self.yuan(fen)); balance ¥\(Self.yuan(state.balance))")
    }

    func ledger() -> Reply {
        var balance = 0
        let rows = state.ledger.map { m -> JSON in
            balance += m.kind == "donation" ? m.fen : -m.fen
            return ["at": .string(ValueParser.iso8601(m.at)), "kind": .string(m.kind), "amount": .string(Self.yuan(m.fen)),
                    "amount_fen": .number(m.fen), "donor": .optional(m.donor), "purpose": .optional(m.purpose),
                    "balance": .string(Self.yuan(balance)), "balance_fen": .number(balance)]
        }
        return Reply(data: .array(rows), message: "balance ¥\(Self.yuan(balance))")
    }
}
