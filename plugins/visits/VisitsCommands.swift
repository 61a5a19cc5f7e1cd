import PluginAPI

enum VisitsCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("visits.campaign.start", summary: "start a campaign covering every household of its buildings",
                    role: .operator, arguments: [
                        .positional("name", summary: "campaign name"),
                        .named("deadline", .time, required: true, summary: "when every household should be visited"),
                        .named("buildings", summary: "buildings separated by ',' (default: all)"),
                    ], mutates: true),
        CommandSpec("visits.campaign.list", summary: "campaigns with progress"),
        CommandSpec("visits.campaign.close", summary: "close a campaign", role: .operator,
                    arguments: [.positional("name", summary: "campaign name")], mutates: true),
        CommandSpec("visits.assign", summary: "assign a building to a visitor", role: .operator, arguments: [
            .named("building", required: true, summary: "building"), .named("visitor", required: true, summary: "visitor's name"),
        ], mutates: true),
        CommandSpec("visits.worklist", summary: "households still to visit, revisits first, in walking order", arguments: [
            .named("visitor", summary: "only this visitor's buildings"), .named("building", summary: "only this building"),
            .named("campaign", summary: "campaign (default: the current one)"),
        ]),
        CommandSpec("visits.record", summary: "record a visit and the needs found", role: .operator, arguments: [
            .positional("household", summary: "household id"),
            .named("outcome", .choice(Outcome.allCases.map(\.rawValue)), required: true, summary: "what happened at the door"),
            .named("people", .int(min: 0, max: 50), summary: "how many people live there"),
            .named("needs", summary: "CATEGORY[:text];… with categories " + NeedCategory.allCases.map(\.rawValue).joined(separator: ", ")),
            .named("note", summary: "note"), .named("visitor", summary: "who knocked"),
            .named("at", .time, summary: "when (default: now)"),
        ], mutates: true),
        CommandSpec("visits.revisits", summary: "households to knock again, with attempts", arguments: [
            .named("campaign", summary: "campaign (default: the current one)"),
        ]),
        CommandSpec("visits.needs", summary: "needs found on visits", arguments: [
            .named("status", .choice(["open", "resolved", "all"]), summary: "default open"),
            .named("household", summary: "only this household"),
        ]),
        CommandSpec("visits.need.resolve", summary: "close a need", role: .operator, arguments: [
            .positional("id", .int(min: 1), summary: "need id"), .named("note", summary: "how it was solved"),
            .named("by", summary: "who solved it"),
        ], mutates: true),
        CommandSpec("visits.coverage", summary: "households visited, not reached, people counted, on track for the deadline",
                    arguments: [
                        .named("campaign", summary: "campaign (default: the current one)"),
                        .named("by", .choice(["building", "visitor"]), summary: "break down by building or visitor"),
                    ]),
        CommandSpec("visits.report", summary: "the daily summary reported upward", arguments: [
            .named("date", .time, summary: "YYYY-MM-DD (default: today, local time)"),
        ]),
        CommandSpec("visits.tests.import", summary: "match a 'big data' untested list (CSV name[,household]) against the roster",
                    role: .operator, body: .required, mutates: true),
        CommandSpec("visits.test.record", summary: "record a test: HOUSEHOLD (everyone), HOUSEHOLD/NAME or NAME", role: .operator,
                    arguments: [
                        .positional("target", summary: "HOUSEHOLD, HOUSEHOLD/NAME or a unique NAME"),
                        .named("at", .time, required: true, summary: "when the sample was taken"), .named("site", summary: "test site"),
                    ], mutates: true),
        CommandSpec("visits.untested", summary: "households with residents not tested since a time; who needs an escort", arguments: [
            .named("building", summary: "only this building"), .named("since", .time, summary: "default: 72 hours ago"),
        ]),
        CommandSpec("visits.tests.coverage", summary: "residents tested since a time, per building", arguments: [
            .named("since", .time, summary: "default: 72 hours ago"),
        ]),
    ]
}
