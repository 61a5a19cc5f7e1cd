import PluginAPI

enum SuppliesCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("supplies.request.add", summary: "request supplies for a household", role: .operator, arguments: [
            .positional("household", summary: "household id"),
            .named("items", required: true, summary: "ITEM:QTYUNIT;… e.g. 大米:10kg;食用油:1L"),
            .named("priority", .choice(["urgent", "high", "normal"]), summary: "default normal"),
            .named("needed_by", .time, summary: "when it is needed"), .named("note", summary: "note"),
        ], mutates: true),
        CommandSpec("supplies.request.assign", summary: "assign a request to a person (reserves stock)", role: .operator,
                    arguments: [.positional("id", .int(min: 1), summary: "request id"), .named("to", required: true, summary: "who delivers")],
                    mutates: true),
        CommandSpec("supplies.request.dispatch", summary: "mark a request out for delivery", role: .operator,
                    arguments: [.positional("id", .int(min: 1), summary: "request id")], mutates: true),
        CommandSpec("supplies.request.deliver", summary: "deliver all of a request, or items=ITEM:QTY;… of it", role: .operator,
                    arguments: [.positional("id", .int(min: 1), summary: "request id"), .named("items", summary: "partial delivery"),
                                .named("by", summary: "who delivered"), .named("note", summary: "note")], mutates: true),
        CommandSpec("supplies.request.cancel", summary: "cancel a request", role: .operator,
                    arguments: [.positional("id", .int(min: 1), summary: "request id"), .named("reason", required: true, summary: "why")],
                    mutates: true),
        CommandSpec("supplies.requests", summary: "requests, most urgent and oldest first, with age", arguments: [
            .named("status", .choice(["open", "assigned", "out", "delivered", "cancelled", "active", "all"]), summary: "default active"),
            .named("priority", .choice(["urgent", "high", "normal"]), summary: "only this priority"),
            .named("building", summary: "only this building"),
        ]),
        CommandSpec("supplies.request", summary: "one request with its full history",
                    arguments: [.positional("id", .int(min: 1), summary: "request id")]),
        CommandSpec("supplies.stock.receive", summary: "receive stock", role: .operator, arguments: [
            .positional("item", summary: "item"), .named("qty", .int(min: 1, max: 1_000_000_000), required: true, summary: "quantity"),
            .named("unit", required: true, summary: "unit (kg, 袋, 盒…)"),
            .named("source", .choice(["donation", "purchase", "government"]), required: true, summary: "where it came from"),
            .named("from", summary: "donor or supplier"),
        ], mutates: true),
        CommandSpec("supplies.stock.adjust", summary: "correct stock (count, spoilage)", role: .operator, arguments: [
            .positional("item", summary: "item"), .named("delta", .int(min: -1_000_000_000, max: 1_000_000_000), required: true, summary: "+N or -N"),
            .named("reason", required: true, summary: "why"),
        ], mutates: true),
        CommandSpec("supplies.stock", summary: "on hand, reserved for assigned requests, available"),
        CommandSpec("supplies.stock.moves", summary: "the stock card: every receipt, issue and adjustment with its balance",
                    arguments: [.named("item", summary: "only this item")]),
        CommandSpec("supplies.donation.add", summary: "record a cash donation (exact fen)", role: .operator, arguments: [
            .named("donor", required: true, summary: "donor"), .named("amount", required: true, summary: "2700, 2,700.50 or ¥2700"),
            .named("currency", .choice(["CNY"]), summary: "only CNY"), .named("purpose", summary: "purpose"),
        ], mutates: true),
        CommandSpec("supplies.cash.spend", summary: "record a disbursement; the balance never goes below zero", role: .operator,
                    arguments: [
                        .named("amount", required: true, summary: "amount in yuan"), .named("purpose", required: true, summary: "purpose"),
                        .named("request", .int(min: 1), summary: "the request it paid for"),
                    ], mutates: true),
        CommandSpec("supplies.ledger", summary: "every cash movement with the running balance"),
        CommandSpec("supplies.ledger.public", summary: "a disclosure statement the community can post", arguments: [
            .named("anonymise", .bool, summary: "hide donors' names"),
        ]),
        CommandSpec("supplies.stock.threshold", summary: "publish supplies.stock.low when an item falls to this", role: .operator,
                    arguments: [.positional("item", summary: "item"), .named("low", .int(min: 0), required: true, summary: "threshold")],
                    mutates: true),
        CommandSpec("supplies.run.plan", summary: "a run sheet of assigned requests in walking order, with what to load", role: .operator,
                    arguments: [.named("building", summary: "one building"), .named("buildings", summary: "buildings separated by ','")],
                    mutates: true),
        CommandSpec("supplies.run.done", summary: "deliver every request of a run that can be delivered", role: .operator,
                    arguments: [.positional("run", .int(min: 1), summary: "run id"), .named("by", summary: "who delivered")],
                    mutates: true),
        CommandSpec("supplies.report", summary: "the daily summary: requests, deliveries, open by age, low stock, cash", arguments: [
            .named("date", .time, summary: "YYYY-MM-DD (default: today, UTC+8)"),
        ]),
    ]
}
