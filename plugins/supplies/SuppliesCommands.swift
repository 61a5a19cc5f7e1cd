public import PluginAPI

/// The supplies arguments, each declared once and shared by the commands that take it.
enum SuppliesArgs {
    // Requests
    static let household = Arg.positional("household", summary: "household id")
    static let items = Arg.required("items", summary: "ITEM:QTYUNIT;… e.g. 大米:10kg;食用油:1L")
    static let editedItems = Arg.named("items", summary: "the new items, ITEM:QTYUNIT;…")
    static let need = Arg.named("need", .int(min: 1), summary: "the visit need it answers (visits.needs)")
    static let categories = ["food", "medicine", "heating", "prevention", "other"]
    static let category = Arg.named("category", .choice(categories), summary: "what kind, to list matching stock")
    static let stockCategory = category.summary("what kind of item")
    static let priority = Arg.named("priority", .choice(["urgent", "high", "normal"]), summary: "default normal")
    static let neededBy = Arg.named("needed_by", .time, summary: "when it is needed")
    static let note = Arg.named("note", summary: "note").sensitive(.personal)
    static let id = Arg.positional("id", .int(min: 1), summary: "request id")
    static let assignee = Arg.required("to", summary: "who delivers")
    static let deliveredItems = Arg.named("items", summary: "partial delivery")
    static let by = Arg.named("by", summary: "who delivered")
    static let reason = Arg.required("reason", summary: "why")
    static let status = Arg.named("status", .choice(["open", "assigned", "out", "delivered", "cancelled", "active", "all"]),
                                  summary: "default active")
    static let onlyPriority = priority.summary("only this priority")
    static let building = Arg.named("building", summary: "only this building")

    // Stock
    static let item = Arg.positional("item", summary: "item")
    static let qty = Arg.required("qty", .int(min: 1, max: 1_000_000_000), summary: "quantity")
    static let unit = Arg.required("unit", summary: "unit (kg, 袋, 盒…)")
    static let source = Arg.required("source", .choice(["donation", "purchase", "government"]), summary: "where it came from")
    static let from = Arg.named("from", summary: "donor or supplier").sensitive(.personal)
    static let delta = Arg.required("delta", .int(min: -1_000_000_000, max: 1_000_000_000), summary: "+N or -N")
    static let onlyItem = Arg.named("item", summary: "only this item")
    static let low = Arg.required("low", .int(min: 0), summary: "threshold")

    // Cash
    static let donor = Arg.required("donor", summary: "donor").sensitive(.personal)
    static let amount = Arg.required("amount", summary: "2700, 2,700.50 or ¥2700")
    static let currency = Arg.named("currency", .choice(["CNY"]), summary: "only CNY")
    static let purpose = Arg.named("purpose", summary: "purpose")
    static let spentAmount = amount.summary("amount in yuan")
    static let spentPurpose = Arg.required("purpose", summary: "purpose")
    static let paidRequest = Arg.named("request", .int(min: 1), summary: "the request it paid for")
    static let anonymise = Arg.named("anonymise", .bool, summary: "hide every donor's name (donors are named only if they consented)")
    static let consent = Arg.named("consent", .bool, summary: "yes: the donor agrees to be named in the public statement")
    static let ledgerEntry = Arg.positional("id", .int(min: 1), summary: "ledger entry of the donation (supplies.ledger)")

    // Runs and the report
    static let runBuilding = building.summary("one building")
    static let buildings = Arg.named("buildings", summary: "buildings separated by ','")
    static let run = Arg.positional("run", .int(min: 1), summary: "run id")
    static let date = Arg.named("date", .time, summary: "YYYY-MM-DD (default: today, UTC+8)")
}

extension SuppliesPlugin {
    /// Every supplies command, declared once: spec, help and handler.
    public static let commands: [Command<SuppliesPlugin>] = [
        Command("supplies.request.add", summary: "request supplies for a household", role: .operator,
                arguments: [SuppliesArgs.household, SuppliesArgs.items, SuppliesArgs.priority, SuppliesArgs.neededBy, SuppliesArgs.note,
                            SuppliesArgs.need, SuppliesArgs.category],
                mutates: true) { supplies, request in
            try await supplies.addRequest(request)
        },
        Command("supplies.request.edit", summary: "change a request's items, priority, deadline or note before it goes out",
                role: .operator,
                arguments: [SuppliesArgs.id, SuppliesArgs.editedItems, SuppliesArgs.priority, SuppliesArgs.neededBy, SuppliesArgs.note],
                mutates: true) { supplies, request in
            try await supplies.editRequest(request)
        },
        Command("supplies.request.assign", summary: "assign a request to a person (reserves stock)", role: .operator,
                arguments: [SuppliesArgs.id, SuppliesArgs.assignee], mutates: true) { supplies, request in
            try await supplies.transition(try request[SuppliesArgs.id], to: .assigned, assignee: try request[SuppliesArgs.assignee],
                                          caller: request.caller)
        },
        Command("supplies.request.dispatch", summary: "mark a request out for delivery", role: .operator,
                arguments: [SuppliesArgs.id], mutates: true) { supplies, request in
            try await supplies.transition(try request[SuppliesArgs.id], to: .out, caller: request.caller)
        },
        Command("supplies.request.deliver", summary: "deliver all of a request, or items=ITEM:QTY;… of it", role: .operator,
                arguments: [SuppliesArgs.id, SuppliesArgs.deliveredItems, SuppliesArgs.by, SuppliesArgs.note],
                mutates: true) { supplies, request in
            try await supplies.deliver(request)
        },
        Command("supplies.request.cancel", summary: "cancel a request", role: .operator,
                arguments: [SuppliesArgs.id, SuppliesArgs.reason], mutates: true) { supplies, request in
            try await supplies.transition(try request[SuppliesArgs.id], to: .cancelled, note: try request[SuppliesArgs.reason],
                                          caller: request.caller)
        },
        Command("supplies.requests", summary: "requests, most urgent and oldest first, with age",
                arguments: [SuppliesArgs.status, SuppliesArgs.onlyPriority, SuppliesArgs.building]) { supplies, request in
            try await supplies.requests(request)
        },
        Command("supplies.request", summary: "one request with its full history", arguments: [SuppliesArgs.id]) { supplies, request in
            try await supplies.requestDetail(try request[SuppliesArgs.id], full: request.caller.role >= .operator)
        },
        Command("supplies.stock.receive", summary: "receive stock", role: .operator,
                arguments: [SuppliesArgs.item, SuppliesArgs.qty, SuppliesArgs.unit, SuppliesArgs.source, SuppliesArgs.from,
                            SuppliesArgs.stockCategory],
                mutates: true) { supplies, request in
            try await supplies.receive(request)
        },
        Command("supplies.stock.adjust", summary: "correct stock (count, spoilage)", role: .operator,
                arguments: [SuppliesArgs.item, SuppliesArgs.delta, SuppliesArgs.reason], mutates: true) { supplies, request in
            try await supplies.adjust(request)
        },
        Command("supplies.stock", summary: "on hand, reserved for assigned requests, available") { supplies, _ in
            await supplies.stock()
        },
        Command("supplies.stock.moves", summary: "the stock card: every receipt, issue and adjustment with its balance",
                arguments: [SuppliesArgs.onlyItem]) { supplies, request in
            await supplies.stockMoves(try request[SuppliesArgs.onlyItem], full: request.caller.role >= .operator)
        },
        Command("supplies.donation.add", summary: "record a cash donation (exact fen)", role: .operator,
                arguments: [SuppliesArgs.donor, SuppliesArgs.amount, SuppliesArgs.currency, SuppliesArgs.purpose, SuppliesArgs.consent],
                mutates: true) { supplies, request in
            try await supplies.donation(request)
        },
        Command("supplies.donation.void", summary: "reverse a donation entered by mistake (a reversing entry, never a deletion)",
                role: .admin, arguments: [SuppliesArgs.ledgerEntry, SuppliesArgs.reason], mutates: true) { supplies, request in
            try await supplies.voidDonation(request)
        },
        Command("supplies.cash.spend", summary: "record a disbursement; the balance never goes below zero", role: .operator,
                arguments: [SuppliesArgs.spentAmount, SuppliesArgs.spentPurpose, SuppliesArgs.paidRequest],
                mutates: true) { supplies, request in
            try await supplies.spend(request)
        },
        Command("supplies.ledger", summary: "every cash movement with the running balance") { supplies, request in
            await supplies.ledger(full: request.caller.role >= .operator)
        },
        Command("supplies.ledger.public", summary: "a disclosure statement the community can post",
                arguments: [SuppliesArgs.anonymise]) { supplies, request in
            await supplies.publicStatement(anonymise: try request[SuppliesArgs.anonymise] ?? false)
        },
        Command("supplies.stock.threshold", summary: "publish supplies.stock.low when an item falls to this", role: .operator,
                arguments: [SuppliesArgs.item, SuppliesArgs.low], mutates: true) { supplies, request in
            try await supplies.threshold(try request[SuppliesArgs.item], low: try request[SuppliesArgs.low])
        },
        Command("supplies.run.plan", summary: "a run sheet of assigned requests in walking order, with what to load", role: .operator,
                arguments: [SuppliesArgs.runBuilding, SuppliesArgs.buildings], mutates: true) { supplies, request in
            try await supplies.planRun(buildings: try request[SuppliesArgs.buildings] ?? request[SuppliesArgs.runBuilding])
        },
        Command("supplies.run.done", summary: "deliver every request of a run that can be delivered", role: .operator,
                arguments: [SuppliesArgs.run, SuppliesArgs.by], mutates: true) { supplies, request in
            try await supplies.runDone(try request[SuppliesArgs.run], by: try request[SuppliesArgs.by])
        },
        Command("supplies.report", summary: "the daily summary: requests, deliveries, open by age, low stock, cash",
                arguments: [SuppliesArgs.date]) { supplies, request in
            // The date as written: the report takes a day (YYYY-MM-DD), which `.time` also accepts as a date-time.
            try await supplies.report(date: request.text(SuppliesArgs.date))
        },
    ]
}
