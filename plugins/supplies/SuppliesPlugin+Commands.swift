import Foundation
import PluginAPI
import PluginSupport
import RosterInterface
import VisitsInterface

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
            guard let qty = Int(digits), qty > 0, qty <= 1_000_000_000 else {
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

    /// `2700`, `2,700.50`, `¥2700`, `￥2,700` → fen. ASCII digits only; commas only as
    /// thousands separators; at most two decimals.
    static func parseFen(_ text: String) throws -> Int {
        let bad = ControlError.invalidArgument("argument 'amount': '\(text)' is not an amount in yuan such as 2700, 2,700.50 or ¥2700")
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("¥") || t.hasPrefix("￥") { t.removeFirst() }
        if t.hasSuffix("元") { t.removeLast() }
        let parts = t.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count) else { throw bad }
        let isDigits = { (s: String) in !s.isEmpty && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        let groups = parts[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard groups.allSatisfy(isDigits), groups.count == 1 || (groups[0].count <= 3 && groups.dropFirst().allSatisfy { $0.count == 3 })
        else { throw bad }
        let whole = groups.joined()
        guard whole.count <= 12, let yuan = Int(whole) else { throw bad }
        var fen = 0
        if parts.count == 2 {
            guard isDigits(parts[1]), parts[1].count <= 2, let f = Int(parts[1]) else { throw bad }
            fen = parts[1].count == 1 ? f * 10 : f
        }
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
        let household = try request[SuppliesArgs.household]
        if let roster = context.services.lookup((any RosterDirectory).self), await roster.household(household) == nil {
            throw ControlError.notFound("household \(household) does not exist")
        }
        let items = try Self.parseItems(try request[SuppliesArgs.items])
        let need = try linkedNeed(try request[SuppliesArgs.need], household: household)
        let id = state.nextRequest
        let added = RequestAdded(household: household, items: items, priority: try request[SuppliesArgs.priority] ?? "normal",
                                 neededBy: try request[SuppliesArgs.neededBy], note: try request[SuppliesArgs.note],
                                 need: need?.id, category: try request[SuppliesArgs.category] ?? need?.category, at: now())
        let seq = try await record(added, announcing: [Self.requestOpened(id: id, household: household, category: added.category, need: added.need,
                                                                          priority: added.priority, at: added.at)])
        return Reply(data: ["id": .number(id), "need": need.map { .number($0.id) } ?? .null, "seq": .number(seq)], lines: [],
                     message: "request \(id) for \(household) opened" + (need.map { " for need \($0.id)" } ?? ""))
    }

    /// Moves request `id` to `status`, recorded as done by the caller's uid.
    func transition(_ id: Int, to status: RequestStatus, assignee: String? = nil, note: String? = nil, caller: Caller) async throws -> Reply {
        let r = try existing(id)
        guard r.status.next.contains(status) else {
            throw ControlError.conflict("request \(id) is \(r.status.rawValue); it cannot become \(status.rawValue)")
        }
        var items: [Item]?
        if status == .assigned {
            // Match each item to a stock item, then reserve: everything assigned must be deliverable.
            var matchedRequest = r
            matchedRequest.items = try matched(r)
            try checkAvailable(matchedRequest)
            if matchedRequest.items != r.items { items = matchedRequest.items }
        }
        let at = now()
        var announced: [Announcement] = []
        if status == .cancelled { announced = cancelAnnouncements(r) + [Self.requestEnded("cancelled", r, at: at)] }
        if status == .delivered { announced = [Self.requestEnded("delivered", r, at: at)] }
        let seq = try await record(StatusChanged(id: id, status: status, items: items, assignee: assignee,
                                                 by: "uid \(caller.uid)", note: note, at: at),
                                   announcing: announced)
        return Reply(data: ["id": .number(id), "status": .string(status.rawValue), "seq": .number(seq)], lines: [],
                     message: "request \(id) \(status.rawValue)" + (assignee.map { " to \($0)" } ?? ""))
    }

    func deliver(_ request: Request) async throws -> Reply {
        let id = try request[SuppliesArgs.id]
        let r = try existing(id)
        guard r.status == .assigned || r.status == .out else {
            throw ControlError.conflict("request \(id) is \(r.status.rawValue); only an assigned or dispatched request is delivered")
        }
        var items: [String: Int] = [:]
        if let text = try request[SuppliesArgs.deliveredItems] {
            for item in try Self.parseItems(text) {
                guard let left = r.remaining[item.name], let asked = r.items.first(where: { $0.name == item.name }) else {
                    throw ControlError.invalidArgument("request \(id) has no item \(item.name)")
                }
                // No unit written means the request's; another unit is a mistake, not a conversion.
                guard item.unit == Self.unspecifiedUnit || item.unit == asked.unit else {
                    throw ControlError.invalidArgument("request \(id) counts \(item.name) in \(asked.unit), not \(item.unit); "
                        + "write items=\(item.name):\(item.quantity)\(asked.unit)")
                }
                guard item.quantity <= left else {
                    throw ControlError.invalidArgument("request \(id) has \(left) \(item.name) left to deliver, not \(item.quantity)")
                }
                items[item.name] = item.quantity
            }
        } else {
            items = r.remaining.filter { $0.value > 0 }
        }
        if let short = shortage(r, items) {
            throw ControlError.conflict("cannot deliver \(short.needed) \(short.unit) \(short.item): \(short.onHand) \(short.unit) on hand; "
                + "stock never goes negative")
        }
        let at = now()
        let seq = try await record(Delivered(id: id, items: items, by: try request[SuppliesArgs.by] ?? "uid \(request.caller.uid)",
                                             note: try request[SuppliesArgs.note], at: at),
                                   announcing: deliveryAnnouncements(r, items, note: "delivered by supplies request \(id)", at: at))
        let after = state.requests[id]!
        return Reply(data: ["id": .number(id), "status": .string(after.status.rawValue), "seq": .number(seq)], lines: [],
                     message: after.status == .delivered ? "request \(id) delivered" : "request \(id) partly delivered")
    }

    /// Health data: which household gets which medicine is not shown to viewers.
    static let healthCategories: Set<String> = ["medicine", "medical"]

    func requestJSON(_ r: SupplyRequest, now: Int64, full: Bool = true) -> JSON {
        let masked = !full && Self.healthCategories.contains(r.category ?? "")
        return ["id": .number(r.id), "household": .string(r.household), "priority": .string(r.priority), "status": .string(r.status.rawValue),
         "items": .string(masked ? "***" : r.items.map { "\($0.name):\($0.quantity)\($0.unit)" + ($0.stock.map { "→\($0)" } ?? "") }.joined(separator: ";")),
         "remaining": .string(masked ? "***" : r.remaining.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ";")),
         "assignee": .optional(r.assignee), "need": r.need.map { .number($0) } ?? .null,
         "needed_by": r.neededBy.map { .string(ValueParser.iso8601($0)) } ?? .null,
         "note": .optional(r.note.map { full ? $0 : "***" }), "age_hours": .number((now - r.openedAt) / 3600)]
    }

    func requests(_ request: Request) throws -> Reply {
        let status = try request[SuppliesArgs.status] ?? "active", priority = try request[SuppliesArgs.onlyPriority]
        let building = try request[SuppliesArgs.building]
        let rank = ["urgent": 0, "high": 1, "normal": 2]
        let now = now()
        let rows = state.requests.values.filter { r in
            (status == "all" || (status == "active" ? r.status != .delivered && r.status != .cancelled : r.status.rawValue == status))
                && (priority == nil || r.priority == priority)
                && (building == nil || r.household.hasPrefix(building! + "-"))
        }.sorted { (rank[$0.priority] ?? 3, $0.openedAt, $0.id) < (rank[$1.priority] ?? 3, $1.openedAt, $1.id) }
            .map { requestJSON($0, now: now, full: request.caller.role >= .operator) }
        return Reply(data: .array(rows), message: "\(rows.count) requests")
    }

    func requestDetail(_ id: Int, full: Bool) throws -> Reply {
        let r = try existing(id)
        guard case .object(var fields) = requestJSON(r, now: now(), full: full) else { return Reply() }
        fields.append(("history", .array(r.history.map {
            ["at": .string(ValueParser.iso8601($0.at)), "status": .string($0.status), "by": .optional($0.by),
             "note": .optional($0.note.map { full ? $0 : "***" })]
        })))
        return Reply(data: .object(fields), message: "request \(id)")
    }

    func receive(_ request: Request) async throws -> Reply {
        let item = try request[SuppliesArgs.item], unit = try request[SuppliesArgs.unit]
        if let existing = state.stock[item], existing.unit != unit {
            throw ControlError.conflict("\(item) is counted in \(existing.unit), not \(unit)")
        }
        let qty = try request[SuppliesArgs.qty]
        guard (state.stock[item]?.onHand ?? 0) <= 1_000_000_000_000 - qty else {
            throw ControlError.invalidArgument("\(item): that much stock is not plausible")
        }
        let seq = try await record(StockMoved(item: item, delta: qty, unit: unit, source: try request[SuppliesArgs.source],
                                              from: try request[SuppliesArgs.from], reason: nil,
                                              category: try request[SuppliesArgs.stockCategory], at: now()))
        return Reply(data: ["item": .string(item), "on_hand": .number(state.stock[item]!.onHand), "seq": .number(seq)], lines: [],
                     message: "received \(qty) \(unit) \(item); \(state.stock[item]!.onHand) on hand")
    }

    func adjust(_ request: Request) async throws -> Reply {
        let item = try request[SuppliesArgs.item]
        guard let current = state.stock[item] else { throw ControlError.notFound("no stock of \(item)") }
        let delta = try request[SuppliesArgs.delta]
        let reserved = state.reserved(item)
        guard current.onHand + delta >= reserved else {
            throw ControlError.conflict("\(item): \(current.onHand) on hand, \(reserved) reserved; an adjustment of \(delta) would go below "
                + (reserved > 0 ? "what assigned requests need" : "zero"))
        }
        let seq = try await record(StockMoved(item: item, delta: delta, unit: current.unit, source: "adjust", from: nil,
                                              reason: try request[SuppliesArgs.reason], at: now()),
                                   announcing: lowStock([item: delta]))
        return Reply(data: ["item": .string(item), "on_hand": .number(state.stock[item]!.onHand), "seq": .number(seq)], lines: [],
                     message: "\(item): \(state.stock[item]!.onHand) on hand")
    }

    func stock() -> Reply {
        let rows = state.stock.keys.sorted().map { item -> JSON in
            let s = state.stock[item]!, reserved = state.reserved(item)
            let isLow = s.low.map { s.onHand <= $0 } ?? false
            return ["item": .string(item), "category": .optional(s.category), "unit": .string(s.unit), "on_hand": .number(s.onHand),
                    "reserved": .number(reserved), "available": .number(s.onHand - reserved), "low": s.low.map { .number($0) } ?? .null,
                    "flag": .string(isLow ? "LOW 低库存" : "")]
        }
        let low = rows.filter { $0["flag"]?.plainText.isEmpty == false }.count
        return Reply(data: .array(rows), message: "\(rows.count) items" + (low > 0 ? ", \(low) at or under their threshold" : ""))
    }

    func donation(_ request: Request) async throws -> Reply {
        let fen = try Self.parseFen(try request[SuppliesArgs.amount])
        let donor = try request[SuppliesArgs.donor]
        let consent = try request[SuppliesArgs.consent] ?? false
        let movement = Movement(at: now(), kind: "donation", fen: fen, donor: donor, purpose: try request[SuppliesArgs.purpose], request: nil,
                                consent: consent)
        let seq = try await record(CashMoved(movement: movement), announcing: [cashMoved(movement)])
        return Reply(data: ["id": .number(state.ledger.count), "fen": .number(fen), "amount": .string(Self.yuan(fen)),
                            "balance_fen": .number(state.balance), "balance": .string(Self.yuan(state.balance)),
                            "consent": .bool(consent), "seq": .number(seq)], lines: [],
                     message: "donation of ¥\(Self.yuan(fen)) from \(donor); balance ¥\(Self.yuan(state.balance))")
    }

    /// `supplies.donation.void ID reason=…` (admin): a reversing entry, never a deletion; the
    /// public statement shows both.
    func voidDonation(_ request: Request) async throws -> Reply {
        let id = try request[SuppliesArgs.ledgerEntry], reason = try request[SuppliesArgs.reason]
        guard id <= state.ledger.count else {
            throw ControlError.notFound("ledger entry \(id) does not exist ("
                + (state.ledger.isEmpty ? "the ledger is empty)" : "supplies.ledger numbers them 1…\(state.ledger.count))"))
        }
        let entry = state.ledger[id - 1]
        guard entry.kind == "donation" else { throw ControlError.conflict("ledger entry \(id) is a \(entry.kind), not a donation") }
        if let void = state.ledger.firstIndex(where: { $0.kind == "void" && $0.voids == id }) {
            throw ControlError.conflict("donation \(id) was already voided (ledger entry \(void + 1))")
        }
        guard entry.fen <= state.balance else {
            throw ControlError.conflict("voiding donation \(id) (¥\(Self.yuan(entry.fen))) would take the balance of ¥\(Self.yuan(state.balance)) "
                + "below zero; record what was spent from it first")
        }
        let movement = Movement(at: now(), kind: "void", fen: entry.fen, donor: entry.donor, purpose: entry.purpose, request: nil,
                                consent: entry.consent, voids: id, reason: reason)
        let seq = try await record(CashMoved(movement: movement), announcing: [cashMoved(movement)])
        return Reply(data: ["id": .number(state.ledger.count), "voids": .number(id), "fen": .number(entry.fen),
                            "amount": .string(Self.yuan(entry.fen)), "balance_fen": .number(state.balance),
                            "balance": .string(Self.yuan(state.balance)), "seq": .number(seq)], lines: [],
                     message: "donation \(id) of ¥\(Self.yuan(entry.fen)) voided (entry \(state.ledger.count)); balance ¥\(Self.yuan(state.balance))")
    }

    func spend(_ request: Request) async throws -> Reply {
        let fen = try Self.parseFen(try request[SuppliesArgs.spentAmount])
        guard fen <= state.balance else {
            throw ControlError.conflict("spending ¥\(Self.yuan(fen)) would take the balance of ¥\(Self.yuan(state.balance)) below zero")
        }
        let paid = try request[SuppliesArgs.paidRequest]
        if let id = paid { _ = try existing(id) }
        let movement = Movement(at: now(), kind: "spend", fen: fen, donor: nil, purpose: try request[SuppliesArgs.spentPurpose], request: paid)
        let seq = try await record(CashMoved(movement: movement), announcing: [cashMoved(movement)])
        return Reply(data: ["id": .number(state.ledger.count), "fen": .number(fen), "amount": .string(Self.yuan(fen)),
                            "balance_fen": .number(state.balance), "balance": .string(Self.yuan(state.balance)), "seq": .number(seq)], lines: [],
                     message: "spent ¥\(Self.yuan(fen)); balance ¥\(Self.yuan(state.balance))")
    }

    /// Whether a donor's name may be shown: to operators, and to anyone if the donor consented.
    static func mayName(_ m: Movement, full: Bool) -> Bool { full || m.consent == true }

    func ledger(full: Bool) -> Reply {
        var balance = 0
        let rows = state.ledger.enumerated().map { i, m -> JSON in
            balance += m.signedFen
            // Viewers see a donor's name only if the donor agreed to be named.
            return ["id": .number(i + 1), "at": .string(ValueParser.iso8601(m.at)), "kind": .string(m.kind),
                    "amount": .string(Self.yuan(m.fen)), "amount_fen": .number(m.fen),
                    "donor": .optional(m.donor.map { Self.mayName(m, full: full) ? $0 : "***" }), "purpose": .optional(m.purpose),
                    "voids": m.voids.map { .number($0) } ?? .null, "reason": .optional(m.reason.map { full ? $0 : "***" }),
                    "balance": .string(Self.yuan(balance)), "balance_fen": .number(balance)]
        }
        return Reply(data: .array(rows), message: "balance ¥\(Self.yuan(balance))")
    }
}

extension SuppliesPlugin {
    /// `supplies.stock.low` for each item at or below its threshold once `deltas` are applied
    /// (announced with the change that takes it there; `threshold` overrides the item's own).
    func lowStock(_ deltas: [String: Int], threshold: Int? = nil) -> [Announcement] {
        deltas.keys.sorted().compactMap { item in
            guard let s = state.stock[item], let low = threshold ?? s.low, s.onHand + deltas[item]! <= low else { return nil }
            return Announcement("supplies.stock.low", ["item": .string(item), "on_hand": .number(s.onHand + deltas[item]!),
                                                       "low": .number(low)])
        }
    }

    /// What delivering `items` on request `r` announces: stock now low, and
    /// `supplies.need.fulfilled` when it is the request's last delivery and it answers a need.
    func deliveryAnnouncements(_ r: SupplyRequest, _ items: [String: Int], note: String, at: Int64) -> [Announcement] {
        var out = lowStock(r.fromStock(items).mapValues { -$0 })
        let last = r.remaining.allSatisfy { $0.value <= (items[$0.key] ?? 0) }
        if last { out.append(Self.requestEnded("delivered", r, at: at)) }
        // The need is met when its last request still on the way is delivered.
        if last, let need = r.need, state.activeRequests(forNeed: need, except: r.id).isEmpty {
            out.append(Announcement("supplies.need.fulfilled", ["need": .number(need), "request": .number(r.id), "note": .string(note)]))
        }
        return out
    }

    func threshold(_ item: String, low: Int) async throws -> Reply {
        guard state.stock[item] != nil else { throw ControlError.notFound("no stock of \(item); receive it first") }
        let seq = try await record(Threshold(item: item, low: low), announcing: lowStock([item: 0], threshold: low))
        return Reply(data: ["item": .string(item), "low": .number(low), "seq": .number(seq)], lines: [], message: "\(item): low at \(low)")
    }

    /// `buildings` is the text of `buildings=` or else of `building=`.
    func planRun(buildings text: String?) async throws -> Reply {
        let buildings = (text ?? "")
            .split(whereSeparator: { $0 == "," || $0 == "，" }).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !buildings.isEmpty else { throw ControlError.missingArgument("missing argument 'building' or 'buildings'") }
        let planned = Set(state.runs.values.filter { $0.doneAt == nil }.flatMap(\.requests))
        let requests = state.requests.values.filter { r in
            (r.status == .assigned || r.status == .out) && !planned.contains(r.id)
                && buildings.contains { r.household.hasPrefix($0 + "-") }
        }.sorted { WalkingOrder.precedes($0.household, $1.household) }
        guard !requests.isEmpty else {
            throw ControlError.notFound("no assigned requests in buildings \(buildings.joined(separator: ", ")) that are not on a run")
        }
        let id = state.nextRun
        let seq = try await record(RunPlanned(buildings: buildings, requests: requests.map(\.id), at: now()))
        let load = Self.load(requests)
        let stops = requests.map { r -> JSON in
            ["request": .number(r.id), "household": .string(r.household),
             "items": .string(r.remaining.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ";")),
             "assignee": .optional(r.assignee)]
        }
        var lines = ["run \(id): \(requests.count) stops in buildings \(buildings.joined(separator: ", "))",
                     "load: " + Self.loadText(load)]
        lines += TextRenderer.lines(for: .array(stops))
        return Reply(data: ["run": .number(id), "stops": .array(stops), "load": Self.loadJSON(load), "load_units": Self.loadUnits(load),
                            "seq": .number(seq)],
                     lines: lines, message: "run \(id) planned")
    }

    /// What a run carries: quantity and unit per stock item (`大米 10 袋`), sorted by item.
    static func load(_ requests: [SupplyRequest]) -> [(item: String, quantity: Int, unit: String)] {
        var out: [String: (Int, String)] = [:]
        for r in requests {
            for item in r.items {
                let left = r.remaining[item.name] ?? 0
                guard left > 0 else { continue }
                out[item.stockName, default: (0, item.unit)].0 += left
            }
        }
        return out.sorted { $0.key < $1.key }.map { ($0.key, $0.value.0, $0.value.1) }
    }

    static func loadText(_ load: [(item: String, quantity: Int, unit: String)]) -> String {
        load.isEmpty ? "nothing" : load.map { "\($0.item) \($0.quantity) \($0.unit)" }.joined(separator: ", ")
    }

    /// `{"大米": 10}`: quantities by stock item (units in ``loadUnits(_:)``).
    static func loadJSON(_ load: [(item: String, quantity: Int, unit: String)]) -> JSON {
        .object(load.map { ($0.item, .number($0.quantity)) })
    }

    static func loadUnits(_ load: [(item: String, quantity: Int, unit: String)]) -> JSON {
        .object(load.map { ($0.item, .string($0.unit)) })
    }

    /// Delivers every request of the run that stock allows; says what was delivered (with
    /// units), what was skipped and why, so nothing is silently left on the shelf.
    func runDone(_ id: Int, by: String?) async throws -> Reply {
        guard let run = state.runs[id] else { throw ControlError.notFound("run \(id) does not exist") }
        guard run.doneAt == nil else { throw ControlError.conflict("run \(id) is already done") }
        var delivered: [SupplyRequest] = [], skipped: [JSON] = []
        var lines: [String] = []
        for rid in run.requests {
            guard let r = state.requests[rid], r.status == .assigned || r.status == .out else {
                let status = state.requests[rid]?.status.rawValue ?? "gone"
                skipped.append(["request": .number(rid), "household": .optional(state.requests[rid]?.household),
                                "reason": .string("no longer assigned"), "status": .string(status)])
                continue
            }
            let items = r.remaining.filter { $0.value > 0 }
            if let short = shortage(r, items) {
                skipped.append(["request": .number(rid), "household": .string(r.household),
                                "reason": .string("not enough \(short.item): needs \(short.needed) \(short.unit), \(short.onHand) \(short.unit) on hand")])
                continue
            }
            let at = now()
            try await record(Delivered(id: rid, items: items, by: by, note: "run \(id)", at: at),
                             announcing: deliveryAnnouncements(r, items, note: "delivered on run \(id)", at: at))
            delivered.append(r)
        }
        let seq = try await record(RunDone(id: id, at: now()))
        let load = Self.load(delivered)
        lines.append("run \(id): \(delivered.count) delivered, \(skipped.count) skipped")
        lines.append("delivered: \(delivered.count) requests (\(delivered.map { "\($0.id) \($0.household)" }.joined(separator: ", ")))")
        lines.append("load: " + Self.loadText(load))
        for s in skipped { lines.append("skipped: request \(s["request"]!.plainText) \(s["household"]?.plainText ?? ""): \(s["reason"]!.plainText)") }
        return Reply(data: ["run": .number(id), "delivered": .array(delivered.map { .number($0.id) }),
                            "delivered_count": .number(delivered.count), "skipped_count": .number(skipped.count),
                            "load": Self.loadJSON(load), "load_units": Self.loadUnits(load), "skipped": .array(skipped), "seq": .number(seq)],
                     lines: lines, message: "run \(id): \(delivered.count) delivered, \(skipped.count) skipped")
    }

    /// The statement the community posts. A donor is named only if they consented at
    /// `donation.add` (`consent=yes`) and `anonymise` is not asked; voided donations stay listed,
    /// marked, with the reversing entry beside them.
    func publicStatement(anonymise: Bool) -> Reply {
        let entries = state.ledger.enumerated().map { (id: $0.offset + 1, m: $0.element) }
        let donations = entries.filter { $0.m.kind == "donation" }, spends = entries.filter { $0.m.kind == "spend" }
        let voids = entries.filter { $0.m.kind == "void" }
        let voidOf = Dictionary(voids.compactMap { v in v.m.voids.map { ($0, v) } }, uniquingKeysWith: { a, _ in a })
        let totalIn = donations.reduce(0) { $0 + $1.m.fen } - voids.reduce(0) { $0 + $1.m.fen }
        let totalOut = spends.reduce(0) { $0 + $1.m.fen }
        func donor(_ m: Movement) -> String { !anonymise && Self.mayName(m, full: false) ? (m.donor ?? "-") : "爱心人士" }
        var lines = ["捐款公示 Donations statement"]
        lines.append("收入 Received")
        lines += TextRenderer.table(header: ["编号", "日期", "捐赠人", "金额(元)", "用途", "备注"], rows: donations.map { d in
            [String(d.id), ValueParser.localDate(d.m.at), donor(d.m), Self.yuan(d.m.fen), d.m.purpose ?? "-",
             voidOf[d.id].map { "已作废 voided (\($0.id)): \($0.m.reason ?? "")" } ?? ""]
        })
        if !voids.isEmpty {
            lines.append("作废 Voided")
            lines += TextRenderer.table(header: ["编号", "日期", "冲销", "金额(元)", "原因"], rows: voids.map { v in
                [String(v.id), ValueParser.localDate(v.m.at), v.m.voids.map { "#\($0)" } ?? "-", "-" + Self.yuan(v.m.fen), v.m.reason ?? "-"]
            })
        }
        lines.append("支出 Spent")
        lines += TextRenderer.table(header: ["编号", "日期", "用途", "金额(元)"], rows: spends.map {
            [String($0.id), ValueParser.localDate($0.m.at), $0.m.purpose ?? "-", Self.yuan($0.m.fen)]
        })
        lines.append("合计 Total: 收入 ¥\(Self.yuan(totalIn))  支出 ¥\(Self.yuan(totalOut))  结余 ¥\(Self.yuan(totalIn - totalOut))")
        return Reply(data: [
            "received_fen": .number(totalIn), "received": .string(Self.yuan(totalIn)),
            "spent_fen": .number(totalOut), "spent": .string(Self.yuan(totalOut)),
            "balance_fen": .number(totalIn - totalOut), "balance": .string(Self.yuan(totalIn - totalOut)),
            "donations": .array(donations.map { d in
                ["id": .number(d.id), "donor": .string(donor(d.m)), "fen": .number(d.m.fen), "amount": .string(Self.yuan(d.m.fen)),
                 "purpose": .optional(d.m.purpose), "voided": .bool(voidOf[d.id] != nil)]
            }),
            "voids": .array(voids.map { v in
                ["id": .number(v.id), "voids": v.m.voids.map { .number($0) } ?? .null, "fen": .number(v.m.fen),
                 "amount": .string(Self.yuan(v.m.fen)), "reason": .optional(v.m.reason)]
            }),
            "spending": .array(spends.map { ["id": .number($0.id), "purpose": .optional($0.m.purpose), "fen": .number($0.m.fen),
                                              "amount": .string(Self.yuan($0.m.fen))] }),
        ], lines: lines, message: "balance ¥\(Self.yuan(totalIn - totalOut))")
    }

    /// `date` is the text of `date=` as written (YYYY-MM-DD), or nil for today.
    func report(date: String?) throws -> Reply {
        let (dayStart, dayEnd) = try ValueParser.localDay(date, now: now())
        let all = Array(state.requests.values)
        let opened = all.filter { $0.openedAt >= dayStart && $0.openedAt < dayEnd }.count
        let delivered = all.filter { r in r.history.contains { $0.status == "delivered" && $0.at >= dayStart && $0.at < dayEnd } }.count
        let active = all.filter { $0.status != .delivered && $0.status != .cancelled }
        let age = { (r: SupplyRequest) in dayEnd - r.openedAt }
        let low = state.stock.filter { entry in entry.value.low.map { entry.value.onHand <= $0 } ?? false }.keys.sorted()
        // A donation voided the same day counts for nothing; one voided later, on the day of the void.
        let cashIn = state.ledger.filter { $0.kind != "spend" && $0.at >= dayStart && $0.at < dayEnd }.reduce(0) { $0 + $1.signedFen }
        let cashOut = state.ledger.filter { $0.kind == "spend" && $0.at >= dayStart && $0.at < dayEnd }.reduce(0) { $0 + $1.fen }
        return Reply(data: [
            "date": .string(ValueParser.localDate(dayStart)),
            "requests_opened": .number(opened), "requests_delivered": .number(delivered),
            "open_by_age": ["under_24h": .number(active.filter { age($0) < 86_400 }.count),
                            "24h_to_72h": .number(active.filter { age($0) >= 86_400 && age($0) < 259_200 }.count),
                            "over_72h": .number(active.filter { age($0) >= 259_200 }.count)],
            "stock_low": .array(low.map(JSON.string)),
            "cash_in": .string(Self.yuan(cashIn)), "cash_out": .string(Self.yuan(cashOut)), "balance": .string(Self.yuan(state.balance)),
            "cash_in_fen": .number(cashIn), "cash_out_fen": .number(cashOut), "balance_fen": .number(state.balance),
        ], message: "supplies report")
    }
}

extension SuppliesPlugin {
    /// The stock card; an issue's detail names the household, hidden from viewers.
    func stockMoves(_ item: String?, full: Bool) -> Reply {
        var balance: [String: Int] = [:]
        var rows: [JSON] = []
        for m in state.moves {
            balance[m.item, default: 0] += m.delta
            guard item == nil || m.item == item else { continue }
            rows.append(["at": .string(ValueParser.iso8601(m.at)), "item": .string(m.item), "kind": .string(m.kind),
                         "delta": .number(m.delta), "balance": .number(balance[m.item]!),
                         "detail": .optional(m.detail.map { full || m.kind != "issue" ? $0 : "***" })])
        }
        return Reply(data: .array(rows), message: "\(rows.count) movements")
    }
}
