public import PluginAPI
import PluginSupport

/// The visits plugin's arguments, each declared once and shared by the commands that take it.
enum VisitsArgs {
    // Campaigns.
    static let campaignName = Arg.positional("name", summary: "campaign name")
    static let deadline = Arg.required("deadline", .time, summary: "when every household should be visited")
    static let started = Arg.named("started", .pastTime, summary: "when the campaign began, if typed in afterwards (default: now)")
    static let overlap = Arg.named("overlap", .bool, summary: "yes: start even though an open campaign covers some of the same households")
    static let buildings = Arg.named("buildings", summary: "buildings separated by ',' (default: all)")
    static let campaign = Arg.named("campaign", summary: "campaign (default: the current one)")

    // Assignments and worklists.
    static let building = Arg.required("building", summary: "building")
    static let visitor = Arg.required("visitor", summary: "visitor's name")
    static let onlyVisitor = Arg.named("visitor", summary: "only this visitor's buildings")
    static let onlyBuilding = Arg.named("building", summary: "only this building")

    // Visits.
    static let household = Arg.positional("household", summary: "household id")
    static let outcome = Arg.required("outcome", .choice(Outcome.self), summary: "what happened at the door")
    static let people = Arg.named("people", .int(min: 0, max: 50), summary: "how many people live there")
    static let needs = Arg.named("needs", summary: "CATEGORY[:ITEM[xQTY[UNIT]]];… e.g. medicine:降压药x2盒, with categories "
        + NeedCategory.allCases.map(\.rawValue).joined(separator: ", ")).sensitive(.health)
    static let note = Arg.named("note", summary: "note").sensitive(.personal)
    static let knocker = Arg.named("visitor", summary: "who knocked")
    static let visitedAt = Arg.named("at", .pastTime, summary: "when (default: now)")

    // Needs.
    static let status = Arg.named("status", .choice(["open", "resolved", "all"]), summary: "default open")
    static let needHousehold = Arg.named("household", summary: "only this household")
    static let need = Arg.positional("id", .int(min: 1), summary: "need id")
    static let resolution = Arg.named("note", summary: "how it was solved")
    static let resolvedBy = Arg.named("by", summary: "who solved it")

    // Coverage and reports.
    static let reportCampaign = Arg.named("campaign", summary: "only this campaign (default: every open one)")
    static let breakdown = Arg.named("by", .choice(["building", "visitor"]), summary: "break down by building or visitor")
    /// Checked by the host as a time, but read as the text: `ValueParser.localDay` takes the
    /// caller's `YYYY-MM-DD` as a local day, which the epoch seconds of `.time` cannot tell.
    static let date = Arg.named("date", ValueKind<String>(.time) { $0 }, summary: "YYYY-MM-DD (default: today, local time)")

    // Testing coverage.
    static let target = Arg.positional("target", summary: "HOUSEHOLD, HOUSEHOLD/NAME or a unique NAME")
    static let sampledAt = Arg.required("at", .pastTime, summary: "when the sample was taken (or now)")
    static let site = Arg.named("site", summary: "test site")
    static let since = Arg.named("since", .time, summary: "default: 72 hours ago")
}

extension VisitsPlugin {
    /// Every visits command, declared once: spec, help and handler.
    public static let commands: [Command<VisitsPlugin>] = [
        Command("visits.campaign.start", summary: "start a campaign covering every household of its buildings",
                role: .operator, arguments: [VisitsArgs.campaignName, VisitsArgs.deadline, VisitsArgs.buildings, VisitsArgs.started,
                                                VisitsArgs.overlap],
                mutates: true) { visits, request in
            try await visits.startCampaign(request)
        },
        Command("visits.campaign.list", summary: "campaigns with progress") { visits, _ in await visits.campaignList() },
        Command("visits.campaign.close", summary: "close a campaign", role: .operator,
                arguments: [VisitsArgs.campaignName], mutates: true) { visits, request in
            try await visits.closeCampaign(try request[VisitsArgs.campaignName])
        },
        Command("visits.assign", summary: "assign a building to a visitor", role: .operator,
                arguments: [VisitsArgs.building, VisitsArgs.visitor], mutates: true) { visits, request in
            try await visits.assign(building: try request[VisitsArgs.building], visitor: try request[VisitsArgs.visitor])
        },
        Command("visits.worklist", summary: "households still to visit, revisits first, in walking order",
                arguments: [VisitsArgs.onlyVisitor, VisitsArgs.onlyBuilding, VisitsArgs.campaign]) { visits, request in
            try await visits.worklist(campaign: try request[VisitsArgs.campaign], visitor: try request[VisitsArgs.onlyVisitor],
                                      building: try request[VisitsArgs.onlyBuilding])
        },
        Command("visits.record", summary: "record a visit and the needs found", role: .operator,
                arguments: [VisitsArgs.household, VisitsArgs.outcome, VisitsArgs.people, VisitsArgs.needs, VisitsArgs.note,
                            VisitsArgs.knocker, VisitsArgs.visitedAt],
                mutates: true) { visits, request in
            try await visits.recordVisit(request)
        },
        Command("visits.revisits", summary: "households to knock again, with attempts",
                arguments: [VisitsArgs.campaign]) { visits, request in
            try await visits.revisits(campaign: try request[VisitsArgs.campaign])
        },
        Command("visits.needs", summary: "needs found on visits",
                arguments: [VisitsArgs.status, VisitsArgs.needHousehold]) { visits, request in
            await visits.needs(status: try request[VisitsArgs.status] ?? "open", household: try request[VisitsArgs.needHousehold],
                               full: request.caller.role >= .operator)
        },
        Command("visits.need.resolve", summary: "close a need", role: .operator,
                arguments: [VisitsArgs.need, VisitsArgs.resolution, VisitsArgs.resolvedBy], mutates: true) { visits, request in
            try await visits.resolveNeed(try request[VisitsArgs.need], by: try request[VisitsArgs.resolvedBy],
                                         note: try request[VisitsArgs.resolution])
        },
        Command("visits.coverage", summary: "households visited, not reached, people counted, on track for the deadline",
                arguments: [VisitsArgs.campaign, VisitsArgs.breakdown]) { visits, request in
            try await visits.coverage(campaign: try request[VisitsArgs.campaign], by: try request[VisitsArgs.breakdown])
        },
        Command("visits.report", summary: "the daily summary reported upward, with every open campaign's figures",
                arguments: [VisitsArgs.date, VisitsArgs.reportCampaign]) { visits, request in
            try await visits.report(date: try request[VisitsArgs.date], campaign: try request[VisitsArgs.reportCampaign])
        },
        Command("visits.followups", summary: "households to go back to: refused, or answered with a need still open",
                arguments: [VisitsArgs.campaign, VisitsArgs.onlyBuilding]) { visits, request in
            try await visits.followups(campaign: try request[VisitsArgs.campaign], building: try request[VisitsArgs.onlyBuilding],
                                       full: request.caller.role >= .operator)
        },
        Command("visits.tests.import", summary: "match a 'big data' untested list (CSV name[,household]) against the roster",
                role: .operator, body: .required, mutates: true) { visits, request in
            try await visits.testsImport(body: request.body ?? "")
        },
        Command("visits.test.record", summary: "record a test: HOUSEHOLD (everyone), HOUSEHOLD/NAME or NAME", role: .operator,
                arguments: [VisitsArgs.target, VisitsArgs.sampledAt, VisitsArgs.site], mutates: true) { visits, request in
            try await visits.testRecord(try request[VisitsArgs.target], at: try request[VisitsArgs.sampledAt],
                                        site: try request[VisitsArgs.site])
        },
        Command("visits.untested", summary: "households with residents not tested since a time; who needs an escort",
                arguments: [VisitsArgs.onlyBuilding, VisitsArgs.since]) { visits, request in
            try await visits.untested(building: try request[VisitsArgs.onlyBuilding], since: try request[VisitsArgs.since])
        },
        Command("visits.tests.coverage", summary: "residents tested since a time, per building",
                arguments: [VisitsArgs.since]) { visits, request in
            try await visits.testsCoverage(since: try request[VisitsArgs.since])
        },
    ]
}
