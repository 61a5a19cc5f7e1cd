import Foundation
import PluginAPI
import PluginSupport
import VisitsInterface

/// Which stock item serves a request's item, and editing a request before it goes out.
extension SuppliesPlugin {
    /// The request's items matched to stock items: the same name, else the alias table
    /// (`[plugins.supplies.aliases]`); an item with no unit of its own (份) takes the stock's.
    ///
    /// - Throws: `409 conflict` naming the item, the stock of its category (or all stock) and
    ///   the two remedies, when nothing matches or the units differ.
    func matched(_ r: SupplyRequest) throws(ControlError) -> [Item] {
        try r.items.map { item throws(ControlError) -> Item in
            var out = item
            let name = state.stock[item.name] != nil ? item.name : aliases[item.name].flatMap { state.stock[$0] != nil ? $0 : nil }
            guard let name, let stock = state.stock[name] else {
                let kind = r.category
                // Stock received without a category may be of any.
                let candidates = state.stock.filter { kind == nil || $0.value.category == kind || $0.value.category == nil }.keys.sorted()
                let listed = candidates.isEmpty ? (kind.map { "no \($0) is in stock" } ?? "nothing is in stock")
                    : "\(kind ?? "stock") in stock: " + candidates.map { "\($0) (\(state.stock[$0]!.onHand - state.reserved($0)) \(state.stock[$0]!.unit) available)" }
                        .joined(separator: ", ")
                throw .conflict("request \(r.id) needs \(item.quantity) \(item.unit) \(item.name): no stock item is called \(item.name)"
                    + (aliases[item.name].map { " (its alias \($0) is not in stock either)" } ?? "") + "; \(listed). "
                    + "Edit the request (supplies.request.edit \(r.id) items=NAME:QUANTITYUNIT) or add an alias "
                    + "(\"\(item.name)\" = \"NAME\" in [plugins.supplies.aliases])")
            }
            out.stock = name == item.name ? nil : name
            if item.unit != stock.unit {
                guard item.unit == Self.unspecifiedUnit else {
                    throw .conflict("request \(r.id) asks for \(item.name) in \(item.unit), but stock counts "
                        + (name == item.name ? "it" : name) + " in \(stock.unit); edit the request (supplies.request.edit \(r.id) items=\(item.name):N\(stock.unit))")
                }
                out.unit = stock.unit
            }
            return out
        }
    }

    /// `supplies.request.edit ID [items=…] [priority=] [needed_by=] [note=]`: while the request is
    /// open or assigned (not once it is out for delivery); the history keeps what changed.
    func editRequest(_ request: Request) async throws -> Reply {
        let id = try request[SuppliesArgs.id]
        let r = try existing(id)
        guard r.status == .open || r.status == .assigned else {
            throw ControlError.conflict("request \(id) is \(r.status.rawValue); only an open or assigned request can be edited "
                + (r.status == .out ? "(it is out for delivery: deliver what arrived, then add a request for the rest)" : ""))
        }
        var changes: [String] = []
        var items: [Item]?
        if let text = try request[SuppliesArgs.editedItems] {
            var edited = r
            edited.items = try Self.parseItems(text)
            for item in edited.items {
                let delivered = r.delivered[item.name] ?? 0
                guard item.quantity >= delivered else {
                    throw ControlError.invalidArgument("request \(id) already delivered \(delivered) \(item.name); the quantity cannot be less")
                }
            }
            for (name, delivered) in r.delivered where delivered > 0 && !edited.items.contains(where: { $0.name == name }) {
                throw ControlError.invalidArgument("request \(id) already delivered \(delivered) \(name); keep it in items=")
            }
            // An assigned request keeps its reservation: its new items must be matched and available.
            if r.status == .assigned {
                edited.items = try matched(edited)
                try checkAvailable(edited)
            }
            items = edited.items
            changes.append("items " + r.items.map(\.text).joined(separator: ", ") + " → " + edited.items.map(\.text).joined(separator: ", "))
        }
        let priority = try request[SuppliesArgs.priority], neededBy = try request[SuppliesArgs.neededBy], note = try request[SuppliesArgs.note]
        if let priority, priority != r.priority { changes.append("priority \(r.priority) → \(priority)") }
        if let neededBy { changes.append("needed by \(ValueParser.display(neededBy))") }
        if note != nil { changes.append("note changed") }
        guard !changes.isEmpty else {
            throw ControlError.missingArgument("nothing to change: give items=, priority=, needed_by= or note=")
        }
        let change = changes.joined(separator: "; ")
        let seq = try await record(RequestEdited(id: id, items: items, priority: priority, neededBy: neededBy, note: note,
                                                 change: change, by: "uid \(request.caller.uid)", at: now()))
        return Reply(data: ["id": .number(id), "change": .string(change), "seq": .number(seq)], lines: [],
                     message: "request \(id) edited: \(change)")
    }

    /// Refuses a request whose (matched) items are more than the stock not promised to others.
    /// Items drawing on one stock item (an alias beside the item's own name) are added up.
    func checkAvailable(_ r: SupplyRequest) throws(ControlError) {
        for (stock, left) in r.fromStock(r.remaining).sorted(by: { $0.key < $1.key }) where left > 0 {
            let available = (state.stock[stock]?.onHand ?? 0) - state.reserved(stock, except: r.id)
            let unit = state.stock[stock]?.unit ?? r.items.first { $0.stockName == stock }?.unit ?? ""
            guard available >= left else {
                throw .conflict("request \(r.id) needs \(left) \(unit) \(stock); \(max(0, available)) \(unit) available "
                    + "(receive stock, or edit the request)")
            }
        }
    }

    /// The first stock item with less on hand than delivering `items` of `r` takes from it.
    func shortage(_ r: SupplyRequest, _ items: [String: Int]) -> (item: String, needed: Int, onHand: Int, unit: String)? {
        for (stock, needed) in r.fromStock(items).sorted(by: { $0.key < $1.key }) {
            let onHand = state.stock[stock]?.onHand ?? 0
            if onHand < needed { return (stock, needed, onHand, state.stock[stock]?.unit ?? "") }
        }
        return nil
    }

    /// A need a hand-made request answers (`need=ID`): it must exist, be open and be the household's.
    func linkedNeed(_ id: Int?, household: String) throws(ControlError) -> NeedSummary? {
        guard let id else { return nil }
        guard let needs = context.services.lookup((any NeedDirectory).self) else {
            throw .unavailable("the visits plugin is not running; need=\(id) cannot be checked")
        }
        guard let need = needs.need(id) else { throw .notFound("need \(id) does not exist (visits.needs lists them)") }
        guard need.household == household else {
            throw .invalidArgument("need \(id) is for household \(need.household), not \(household)")
        }
        guard need.open else { throw .conflict("need \(id) is already resolved") }
        return need
    }

    /// What cancelling request `r` announces: if it served a need and no other request still
    /// does, the need is fulfilled (another request delivered it) or open again
    /// (`supplies.need.reopened`: nothing is on its way any more).
    /// The reason stays out of the event (events reach viewers; it may name people).
    func cancelAnnouncements(_ r: SupplyRequest) -> [Announcement] {
        guard let need = r.need, state.activeRequests(forNeed: need, except: r.id).isEmpty else { return [] }
        let deliveredOther = state.requests.values.contains { $0.need == need && $0.id != r.id && $0.status == .delivered }
        if deliveredOther {
            return [Announcement("supplies.need.fulfilled", ["need": .number(need), "request": .number(r.id),
                                                             "note": .string("delivered by another request; request \(r.id) cancelled")])]
        }
        return [Announcement("supplies.need.reopened", ["need": .number(need), "request": .number(r.id)])]
    }
}
