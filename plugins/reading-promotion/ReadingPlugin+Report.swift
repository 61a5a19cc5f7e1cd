import PluginAPI
import PluginSupport

/// `reading.report`: what the library reports upward (“共推送信息537条”).
extension ReadingPromotionPlugin {
    func report(_ request: Request) throws -> Reply {
        let fromText = try request[ReadingArgs.from], toText = try request[ReadingArgs.to]
        let range = try Self.range(from: fromText, to: toText)
        func inRange(_ t: Int64?) -> Bool { t.map { $0 >= range.from && $0 < range.to } ?? false }
        let byDay = try request[ReadingArgs.by] == "day"
        let posts = state.posts.values
        // Channels: the configured ones, then any that posts name after leaving the config.
        var ids = settings.channels.map(\.id)
        for p in posts { for d in p.deliveries where !ids.contains(d.channel) { ids.append(d.channel) } }

        var published: [String: Int] = [:], failures: [String: Int] = [:], failedNow: [String: Int] = [:]
        var dueNow: [String: Int] = [:], scheduled: [String: Int] = [:]
        var perDay: [String: [String: Int]] = [:]
        var postsPushed = Set<Int>()
        for p in posts {
            for d in p.deliveries {
                if d.status == .published, inRange(d.publishedAt) {
                    published[d.channel, default: 0] += 1
                    postsPushed.insert(p.id)
                    perDay[ValueParser.localDate(d.publishedAt!), default: [:]][d.channel, default: 0] += 1
                }
                failures[d.channel, default: 0] += d.failures.filter { inRange($0) }.count
                if d.status == .failed { failedNow[d.channel, default: 0] += 1 }
                if d.status == .due { dueNow[d.channel, default: 0] += 1 }
                if d.status == .scheduled, inRange(p.at) { scheduled[d.channel, default: 0] += 1 }
            }
        }
        let events = state.events.values.filter { inRange($0.at) }
        let held = events.filter { $0.cancelledAt == nil }
        let total = published.values.reduce(0, +)
        let invitations = state.invites.values.filter { inRange($0.at) }.count
        func sum(_ d: [String: Int]) -> Int { d.values.reduce(0, +) }
        let registrations = held.map(\.registered).reduce(0, +)
        let waitlisted = held.map(\.waitlisted).reduce(0, +)
        let promoted = held.map { $0.registrations.filter { $0.promotedAt != nil }.count }.reduce(0, +)
        let attendance = held.map(\.attendance).reduce(0, +)

        var fields: [(String, JSON)] = [
            ("from", range.from == Int64.min ? .null : .string(ValueParser.iso8601(range.from))),
            ("to", range.to == Int64.max ? .null : .string(ValueParser.iso8601(range.to))),
            ("published", .number(total)), ("posts", .number(postsPushed.count)), ("failures", .number(sum(failures))),
            ("failed_now", .number(sum(failedNow))), ("due_now", .number(sum(dueNow))), ("scheduled", .number(sum(scheduled))),
            ("events", .number(held.count)), ("cancelled_events", .number(events.count - held.count)),
            ("registrations", .number(registrations)), ("waitlisted", .number(waitlisted)), ("promoted", .number(promoted)),
            ("attendance", .number(attendance)), ("invitations", .number(invitations)),
        ]
        let period = (fromText ?? "the start") + " to " + (toText ?? "now")
        var lines = [
            "period: \(period)",
            "posts pushed: \(total) (\(postsPushed.count) posts) · failures: \(sum(failures)) · failed now: \(sum(failedNow)) · due now: \(sum(dueNow)) · scheduled: \(sum(scheduled))",
            "online events: \(held.count)" + (events.count > held.count ? " (\(events.count - held.count) cancelled)" : "")
                + " · registrations: \(registrations) · waitlisted: \(waitlisted) · promoted: \(promoted) · attendance: \(attendance)",
            "invitations: \(invitations)",
        ]
        if byDay {
            let days = perDay.keys.sorted()
            fields.append(("days", .array(days.map { day in
                let counts = perDay[day]!
                return ["date": .string(day), "published": .number(counts.values.reduce(0, +)),
                        "channels": .object(ids.map { ($0, .number(counts[$0] ?? 0)) })]
            })))
            lines += TextRenderer.table(header: ["date", "total"] + ids.map(display), rows: days.map { day in
                let counts = perDay[day]!
                return [day, "\(counts.values.reduce(0, +))"] + ids.map { "\(counts[$0] ?? 0)" }
            })
        } else {
            fields.append(("channels", .array(ids.map { id in
                ["channel": .string(id), "name": .string(display(id)), "kind": .optional(settings.channel(id)?.kind.rawValue),
                 "published": .number(published[id] ?? 0), "failures": .number(failures[id] ?? 0), "failed_now": .number(failedNow[id] ?? 0),
                 "due_now": .number(dueNow[id] ?? 0), "scheduled": .number(scheduled[id] ?? 0)]
            })))
            lines += TextRenderer.table(header: ["channel", "kind", "published", "failures", "failed now", "due now", "scheduled"], rows: ids.map { id in
                [display(id), settings.channel(id)?.kind.rawValue ?? "-", "\(published[id] ?? 0)", "\(failures[id] ?? 0)",
                 "\(failedNow[id] ?? 0)", "\(dueNow[id] ?? 0)", "\(scheduled[id] ?? 0)"]
            })
        }
        return Reply(data: .object(fields), lines: lines, message: "\(total) posts pushed, \(held.count) online events, \(invitations) invitations")
    }
}
