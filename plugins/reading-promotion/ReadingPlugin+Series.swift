import Foundation
import PluginAPI
import PluginSupport

extension ReadingPromotionPlugin {
    /// One entry of a series' body: `# title` on its first line (optional), then the text.
    struct Entry {
        var title: String?
        var body: String
    }

    /// The body of `series.add`/`series.extend`: entries separated by lines `---`; an entry
    /// whose first line starts with `# ` has that line as its title.
    static func entries(_ body: String?) throws(ControlError) -> [Entry] {
        var entries: [Entry] = []
        var current: [Substring] = []
        func flush() {
            var lines = current[...]
            while let f = lines.first, f.allSatisfy(\.isWhitespace) { lines = lines.dropFirst() }
            while let l = lines.last, l.allSatisfy(\.isWhitespace) { lines = lines.dropLast() }
            current = []
            guard let first = lines.first else { return }
            if first.hasPrefix("# ") {
                var rest = lines.dropFirst()
                while let f = rest.first, f.allSatisfy(\.isWhitespace) { rest = rest.dropFirst() }
                entries.append(Entry(title: String(first.dropFirst(2)).trimmingWhitespace, body: rest.joined(separator: "\n")))
            } else {
                entries.append(Entry(title: nil, body: lines.joined(separator: "\n")))
            }
        }
        for line in (body ?? "").split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingWhitespace == "---" { flush() } else { current.append(line) }
        }
        flush()
        guard !entries.isEmpty else {
            throw .invalidArgument("the series has no entries: send them as the body, separated by lines ---, each optionally starting with '# title'")
        }
        for (i, e) in entries.enumerated() where e.body.allSatisfy(\.isWhitespace) {
            throw .invalidArgument("entry \(i + 1) of the body has a title but no text")
        }
        return entries
    }

    func existingSeries(_ name: String) throws(ControlError) -> Series {
        guard let s = state.series[name] else {
            let known = state.series.keys.sorted()
            throw .notFound("series \(ValueParser.shown(name)) does not exist" + (known.isEmpty ? "" : "; the series are " + known.joined(separator: ", ")))
        }
        return s
    }

    /// The posts of entries at the cadence's slots from `start`, numbered from `number`.
    func seriesPosts(_ entries: [Entry], series: Series, start: Int64, number: Int, by uid: UInt32) throws(ControlError) -> [Post] {
        var channels: [ChannelConfig] = []
        for id in series.channels { channels.append(try channel(named: id)) }
        let slots = series.cadence.slots(entries.count, from: start, in: CommunityZone.current)
        var posts: [Post] = []
        for (i, entry) in entries.enumerated() {
            let n = number + i
            let title = try Self.line(entry.title ?? "\(series.title)（\(n)）", "title of entry \(i + 1)")
            try Self.checkLimits(title: title, body: entry.body, on: channels, what: "entry \(i + 1)")
            posts.append(Post(id: state.nextPost + i, title: title, body: entry.body, at: slots[i], series: series.name, number: n,
                              audience: series.audience, deliveries: channels.map { Delivery(channel: $0.id) }, createdAt: now(), by: uid))
        }
        return posts
    }

    func addSeries(_ request: Request) async throws -> Reply {
        let name = try Self.line(try request[ReadingArgs.seriesName], "name", max: 64)
        if state.series[name] != nil {
            throw ControlError.conflict("series \(name) exists; reading.series.extend \(name) adds posts to it")
        }
        let template = settings.series[name] ?? SeriesTemplate()
        let cadence: Cadence
        if let text = try request[ReadingArgs.cadence] {
            do { cadence = try Cadence(text) } catch { throw ControlError.invalidArgument("argument 'cadence': \(error)") }
        } else if let c = template.cadence {
            cadence = c
        } else {
            throw ControlError.missingArgument("argument 'cadence' is required (\"daily 09:00\" or \"weekly mon,thu 20:00\"), "
                + "or set it in [plugins.reading-promotion.series.\(name)]")
        }
        let channels: [ChannelConfig]
        if let text = try request[ReadingArgs.seriesChannels] {
            channels = try self.channels(text)
        } else if let list = template.channels {
            channels = try self.channels(list.joined(separator: ","))
        } else {
            throw ControlError.missingArgument("argument 'channels' is required, or set it in [plugins.reading-promotion.series.\(name)]")
        }
        let title = try Self.line(try request[ReadingArgs.seriesTitle] ?? template.title ?? name, "title", max: 100)
        let audience = try (try request[ReadingArgs.seriesAudience] ?? template.audience).map { try Self.line($0, "audience", max: 64) }
        let start = try (try request[ReadingArgs.start]).map { try future($0, request.text(ReadingArgs.start), argument: "start") } ?? now()
        let entries = try Self.entries(request.body)
        let series = Series(name: name, title: title, cadence: cadence, channels: channels.map(\.id), audience: audience, posts: [],
                            createdAt: now())
        let posts = try seriesPosts(entries, series: series, start: start, number: 1, by: request.caller.uid)
        return try await recordSeries(SeriesAdded(series: series, name: name, posts: posts), verb: "added")
    }

    func extendSeries(_ request: Request) async throws -> Reply {
        let name = try request[ReadingArgs.seriesName]
        let series = try existingSeries(name)
        if series.cancelledAt != nil { throw ControlError.conflict("series \(name) was cancelled; add a new one") }
        let entries = try Self.entries(request.body)
        let last = series.posts.compactMap { state.posts[$0] }.map(\.at).max() ?? 0
        let numbers = series.posts.compactMap { state.posts[$0]?.number }
        let posts = try seriesPosts(entries, series: series, start: max(now(), last + 1), number: (numbers.max() ?? 0) + 1,
                                    by: request.caller.uid)
        return try await recordSeries(SeriesAdded(series: nil, name: name, posts: posts), verb: "extended")
    }

    private func recordSeries(_ added: SeriesAdded, verb: String) async throws -> Reply {
        let posts = added.posts
        let seq = try await record(added, announcing: [Announcement("reading.series.added", [
            "series": .string(added.name), "posts": .number(posts.count),
            "first": .string(ValueParser.iso8601(posts.first!.at)), "last": .string(ValueParser.iso8601(posts.last!.at)),
        ])])
        doorbell.ring()
        return Reply(data: ["series": .string(added.name), "posts": .array(posts.map { .number($0.id) }),
                            "first": .string(ValueParser.iso8601(posts.first!.at)), "last": .string(ValueParser.iso8601(posts.last!.at)),
                            "seq": .number(seq)],
                     lines: postLines(posts),
                     message: "series \(added.name) \(verb): \(posts.count) posts from \(ValueParser.display(posts.first!.at)) to \(ValueParser.display(posts.last!.at))")
    }

    func seriesJSON(_ s: Series) -> JSON {
        let posts = s.posts.compactMap { state.posts[$0] }
        let next = posts.filter(\.isScheduled).map(\.at).min()
        return ["series": .string(s.name), "title": .string(s.title), "cadence": .string(s.cadence.description),
                "channels": .array(s.channels.map { .string($0) }), "audience": .optional(s.audience), "posts": .number(posts.count),
                "published": .number(posts.filter { $0.deliveries.contains { $0.status == .published } }.count),
                "next": next.map { .string(ValueParser.iso8601($0)) } ?? .null,
                "cancelled_at": s.cancelledAt.map { .string(ValueParser.iso8601($0)) } ?? .null]
    }

    func seriesList() -> Reply {
        let rows = state.series.values.sorted { $0.createdAt == $1.createdAt ? $0.name < $1.name : $0.createdAt < $1.createdAt }.map(seriesJSON)
        return Reply(data: .array(rows), message: "\(rows.count) series")
    }

    func showSeries(_ name: String) throws -> Reply {
        let s = try existingSeries(name)
        let posts = s.posts.compactMap { state.posts[$0] }.sorted { ($0.at, $0.id) < ($1.at, $1.id) }
        guard case .object(var fields) = seriesJSON(s) else { return Reply() }
        fields.removeAll { $0.0 == "posts" }
        fields.append(("posts", .array(posts.map(postRow))))
        var lines = ["series: \(s.name)", "title: \(s.title)", "cadence: \(s.cadence)",
                     "channels: " + s.channels.map(display).joined(separator: ", ")]
        if let c = s.cancelledAt { lines.append("cancelled: \(ValueParser.display(c))") }
        lines += postLines(posts)
        return Reply(data: .object(fields), lines: lines, message: "series \(s.name): \(posts.count) posts")
    }

    func cancelSeries(_ name: String, reason: String?) async throws -> Reply {
        let s = try existingSeries(name)
        let ids = s.posts.filter { state.posts[$0]?.deliveries.contains(where: \.canCancel) == true }
        guard !ids.isEmpty else { throw ControlError.conflict("series \(name) has no post left to cancel") }
        let reason = try reason.map { try Self.line($0, "reason") }
        let seq = try await record(PostCancelled(ids: ids, channel: nil, reason: reason, at: now(), series: name),
                                   announcing: [Announcement("reading.series.cancelled", ["series": .string(name), "posts": .number(ids.count)])])
        return Reply(data: ["series": .string(name), "cancelled": .array(ids.map { .number($0) }), "seq": .number(seq)], lines: [],
                     message: "series \(name) cancelled: \(ids.count) posts")
    }
}

extension StringProtocol {
    /// Without leading and trailing blanks.
    var trimmingWhitespace: String { String(self).trimmingCharacters(in: .whitespacesAndNewlines) }
}
