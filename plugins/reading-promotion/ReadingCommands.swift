public import PluginAPI
import PluginSupport

/// The reading arguments, each declared once and shared by the commands that take it.
enum ReadingArgs {
    /// A time argument read as its text: `to=2022-01-31` (a day, included) is not `to=2022-01-31T00:00`.
    static let timeText = ValueKind<String>(.time) { $0 }

    // Posts
    static let title = Arg.required("title", summary: "the post's title (one line)")
    static let channels = Arg.required("channels", summary: "channels separated by ',' (ids or display names: weibo,抖音)")
    static let at = Arg.required("at", .time, summary: "when it goes out (now, or a time to come)")
    static let series = Arg.named("series", summary: "the series it belongs to (a label)")
    static let audience = Arg.named("audience", summary: "who it is for (残疾人读者, 少儿…)")
    static let post = Arg.positional("id", .int(min: 1), summary: "post id")
    static let editTitle = Arg.named("title", summary: "a new title")
    static let editChannels = Arg.named("channels", summary: "the new channel list")
    static let editAt = Arg.named("at", .time, summary: "a new time (now, or to come)")
    static let editSeries = Arg.named("series", summary: "a new series label ('' for none)")
    static let editAudience = Arg.named("audience", summary: "a new audience ('' for none)")
    static let status = Arg.named("status", .choice(DeliveryStatus.allCases.map(\.rawValue) + ["all"]),
                                  summary: "only posts with a channel in this state (default all)")
    static let onlyChannel = Arg.named("channel", summary: "only this channel")
    static let onlySeries = Arg.named("series", summary: "only this series")
    static let from = Arg.named("from", timeText, summary: "from this day or time")
    static let to = Arg.named("to", timeText, summary: "to this day (included) or time (excluded)")
    static let cancelChannel = Arg.named("channel", summary: "only this channel (default: every channel not yet published)")
    static let force = Arg.named("force", .bool, summary: "yes: even while its hook is publishing it (a hook that never answers)")
    static let reason = Arg.named("reason", summary: "why")
    static let channel = Arg.required("channel", summary: "the channel")
    static let url = Arg.required("url", summary: "where it was published (https://…)")
    static let publishedAt = Arg.named("at", .pastTime, summary: "when it was published (default now)")
    static let queueChannel = Arg.optionalPositional("channel", summary: "a manual channel (default: all of them)")
    static let failedSince = Arg.named("failed-since", .time, summary: "only posts that failed at or after this time")
    static let retryPost = Arg.named("post", .int(min: 1), summary: "only this post")

    // Series
    static let seriesName = Arg.positional("name", summary: "series name (居家防疫小技巧, tips…)")
    static let cadence = Arg.named("cadence", summary: "\"daily 09:00\" or \"weekly mon,thu 20:00\" (default: the config's)")
    static let seriesChannels = Arg.named("channels", summary: "channels separated by ',' (default: the config's)")
    static let seriesTitle = Arg.named("title", summary: "title of its posts: TITLE（N） (default: the config's, else the name)")
    static let start = Arg.named("start", .time, summary: "first slot at or after this time (default now)")
    static let seriesAudience = Arg.named("audience", summary: "who it is for")

    // Online events
    static let eventID = Arg.positional("id", .int(min: 1), summary: "event id")
    static let eventTitle = Arg.required("title", summary: "the event's title")
    static let eventAt = Arg.required("at", .time, summary: "when it starts")
    static let duration = Arg.required("duration", .duration, summary: "how long (90m, 2h)")
    static let capacity = Arg.required("capacity", .int(min: 1, max: 100_000), summary: "places")
    static let eventChannel = Arg.named("channel", summary: "the channel it is held on")
    static let link = Arg.named("link", summary: "where readers join (https://…)")
    static let waitlist = Arg.named("waitlist", .bool, summary: "take a waitlist when full (default: the config's)")
    static let remind = Arg.named("remind", .duration, summary: "remind this long before the start (0: no reminder; default: the config's)")
    static let eventStatus = Arg.named("status", .choice(["upcoming", "past", "cancelled", "all"]), summary: "default all")
    static let name = Arg.required("name", summary: "the reader's name").sensitive(.personal)
    static let contact = Arg.required("contact", summary: "phone or WeChat id").sensitive(.personal)
    static let cancelReason = Arg.required("reason", summary: "why")
    static let names = Arg.named("names", summary: "registrants who attended, separated by ','")
    static let count = Arg.named("count", .int(min: 0, max: 10_000_000), summary: "how many attended (the platform's count)")

    // Invitations
    static let note = Arg.named("note", summary: "what they said (masked for viewers)").sensitive(.personal)
    static let inviteAt = Arg.named("at", .pastTime, summary: "when (default now)")
    static let format = Arg.required("format", .choice(["csv"]), summary: "csv (UTF-8 with BOM, CRLF: Excel and WPS)")
    static let headers = Arg.named("headers", .choice(["zh", "en"]), summary: "column headers (default zh)")

    // Figures
    static let by = Arg.named("by", .choice(["channel", "day"]), summary: "break down by channel (default) or day")
}

extension ReadingPromotionPlugin {
    /// Every reading command, declared once: spec, help and handler.
    public static let commands: [Command<ReadingPromotionPlugin>] = [
        Command("reading.channels", summary: "the configured channels with their posts by state") { plugin, _ in
            await plugin.channelList()
        },
        Command("reading.post.add", summary: "schedule a post (the body is its text) on channels", role: .operator,
                arguments: [ReadingArgs.title, ReadingArgs.channels, ReadingArgs.at, ReadingArgs.series, ReadingArgs.audience],
                body: .required, mutates: true) { plugin, request in
            try await plugin.addPost(request)
        },
        Command("reading.post.list", summary: "posts by due time, with their state on each channel",
                arguments: [ReadingArgs.status, ReadingArgs.onlyChannel, ReadingArgs.onlySeries, ReadingArgs.from, ReadingArgs.to]) { plugin, request in
            try await plugin.listPosts(request)
        },
        Command("reading.post.show", summary: "one post: text, and per channel its state, URL, attempts and failures",
                arguments: [ReadingArgs.post]) { plugin, request in
            try await plugin.showPost(try request[ReadingArgs.post])
        },
        Command("reading.post.edit", summary: "change a post before it is due (a body replaces its text)", role: .operator,
                arguments: [ReadingArgs.post, ReadingArgs.editTitle, ReadingArgs.editChannels, ReadingArgs.editAt, ReadingArgs.editSeries,
                            ReadingArgs.editAudience],
                body: .optional, mutates: true) { plugin, request in
            try await plugin.editPost(request)
        },
        Command("reading.post.cancel", summary: "cancel a post on every channel not yet published, or on one", role: .operator,
                arguments: [ReadingArgs.post, ReadingArgs.cancelChannel, ReadingArgs.reason, ReadingArgs.force], mutates: true) { plugin, request in
            try await plugin.cancelPost(request)
        },
        Command("reading.post.published", summary: "confirm a post was published on a channel, with its URL", role: .operator,
                arguments: [ReadingArgs.post, ReadingArgs.channel, ReadingArgs.url, ReadingArgs.publishedAt, ReadingArgs.force],
                mutates: true) { plugin, request in
            try await plugin.confirmPublished(request)
        },
        Command("reading.queue", summary: "posts due on manual channels, oldest first: title and text exactly as to paste",
                arguments: [ReadingArgs.queueChannel]) { plugin, request in
            try await plugin.queue(try request[ReadingArgs.queueChannel])
        },
        Command("reading.retry", summary: "send a channel's failed posts again (after its credentials are fixed)", role: .operator,
                arguments: [ReadingArgs.channel, ReadingArgs.failedSince, ReadingArgs.retryPost], mutates: true) { plugin, request in
            try await plugin.retry(request)
        },
        Command("reading.series.add", summary: "a series: one post per entry of the body (entries separated by ---) at a cadence",
                role: .operator,
                arguments: [ReadingArgs.seriesName, ReadingArgs.cadence, ReadingArgs.seriesChannels, ReadingArgs.seriesTitle,
                            ReadingArgs.start, ReadingArgs.seriesAudience],
                body: .required, mutates: true) { plugin, request in
            try await plugin.addSeries(request)
        },
        Command("reading.series.extend", summary: "more posts for a series, at its next slots", role: .operator,
                arguments: [ReadingArgs.seriesName], body: .required, mutates: true) { plugin, request in
            try await plugin.extendSeries(request)
        },
        Command("reading.series.list", summary: "series with their cadence, posts and next post") { plugin, _ in
            await plugin.seriesList()
        },
        Command("reading.series.show", summary: "one series and its posts", arguments: [ReadingArgs.seriesName]) { plugin, request in
            try await plugin.showSeries(try request[ReadingArgs.seriesName])
        },
        Command("reading.series.cancel", summary: "cancel every post of a series not yet published", role: .operator,
                arguments: [ReadingArgs.seriesName, ReadingArgs.reason], mutates: true) { plugin, request in
            try await plugin.cancelSeries(try request[ReadingArgs.seriesName], reason: try request[ReadingArgs.reason])
        },
        Command("reading.event.add", summary: "an online event with capacity, waitlist and reminder", role: .operator,
                arguments: [ReadingArgs.eventTitle, ReadingArgs.eventAt, ReadingArgs.duration, ReadingArgs.capacity, ReadingArgs.audience,
                            ReadingArgs.eventChannel, ReadingArgs.link, ReadingArgs.waitlist, ReadingArgs.remind],
                mutates: true) { plugin, request in
            try await plugin.addEvent(request)
        },
        Command("reading.event.list", summary: "online events with places taken, waitlist and attendance",
                arguments: [ReadingArgs.eventStatus, ReadingArgs.from, ReadingArgs.to]) { plugin, request in
            try await plugin.listEvents(request)
        },
        Command("reading.event.show", summary: "one event and its registrations (names and contacts masked for viewers)",
                arguments: [ReadingArgs.eventID]) { plugin, request in
            try await plugin.showEvent(try request[ReadingArgs.eventID], full: request.caller.role >= .operator)
        },
        Command("reading.event.register", summary: "register a reader (waitlisted when full)", role: .operator,
                arguments: [ReadingArgs.eventID, ReadingArgs.name, ReadingArgs.contact], mutates: true) { plugin, request in
            try await plugin.register(request)
        },
        Command("reading.event.unregister", summary: "withdraw a registration; the first on the waitlist takes the place",
                role: .operator, arguments: [ReadingArgs.eventID, ReadingArgs.contact], mutates: true) { plugin, request in
            try await plugin.unregister(request)
        },
        Command("reading.event.cancel", summary: "cancel an event", role: .operator,
                arguments: [ReadingArgs.eventID, ReadingArgs.cancelReason], mutates: true) { plugin, request in
            try await plugin.cancelEvent(try request[ReadingArgs.eventID], reason: try request[ReadingArgs.cancelReason])
        },
        Command("reading.event.attended", summary: "record attendance after the start: registrants by name, or a count",
                role: .operator, arguments: [ReadingArgs.eventID, ReadingArgs.names, ReadingArgs.count], mutates: true) { plugin, request in
            try await plugin.attended(request)
        },
        Command("reading.invite.add", summary: "a reader's pledge to visit when the library reopens", role: .operator,
                arguments: [ReadingArgs.name, ReadingArgs.contact, ReadingArgs.note, ReadingArgs.inviteAt], mutates: true) { plugin, request in
            try await plugin.addInvite(request)
        },
        Command("reading.invites", summary: "the invitations, oldest first (names and contacts masked for viewers)") { plugin, request in
            await plugin.invites(full: request.caller.role >= .operator)
        },
        Command("reading.invites.export", summary: "the invitations as CSV for Excel/WPS (UTF-8 BOM, CRLF)", role: .operator,
                arguments: [ReadingArgs.format, ReadingArgs.headers]) { plugin, request in
            await plugin.exportInvites(chinese: try request[ReadingArgs.headers] != "en")
        },
        Command("reading.report", summary: "figures: posts pushed per channel or day, failures, events, registrations, attendance, invitations",
                arguments: [ReadingArgs.from, ReadingArgs.to, ReadingArgs.by]) { plugin, request in
            try await plugin.report(request)
        },
    ]
}
