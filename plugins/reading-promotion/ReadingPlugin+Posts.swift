import Foundation
import PluginAPI
import PluginSupport

extension ReadingPromotionPlugin {
    func existingPost(_ id: Int) throws(ControlError) -> Post {
        guard let post = state.posts[id] else {
            throw .notFound("post \(id) does not exist" + (state.nextPost > 1 ? " (posts are 1 to \(state.nextPost - 1))" : ""))
        }
        return post
    }

    /// The display name of channel `id` (the id itself when it left the config).
    func display(_ id: String) -> String { settings.channel(id)?.name ?? id }

    // MARK: Channels

    func channelList() -> Reply {
        let deliveries = state.posts.values.flatMap(\.deliveries)
        let rows: [JSON] = settings.channels.map { c in
            let mine = deliveries.filter { $0.channel == c.id }
            func n(_ s: DeliveryStatus) -> JSON { .number(mine.filter { $0.status == s }.count) }
            return ["channel": .string(c.id), "name": .string(c.name), "kind": .string(c.kind.rawValue),
                    "max_title": c.maxTitle.map { .number($0) } ?? .null, "max_body": c.maxBody.map { .number($0) } ?? .null,
                    "hook": .optional(c.hook), "scheduled": n(.scheduled), "due": n(.due), "published": n(.published), "failed": n(.failed)]
        }
        return Reply(data: .array(rows), message: "\(rows.count) channels")
    }

    // MARK: Adding, editing, cancelling

    func addPost(_ request: Request) async throws -> Reply {
        let title = try Self.line(try request[ReadingArgs.title], "title")
        let channels = try channels(try request[ReadingArgs.channels])
        let body = try Self.postBody(request.body)
        try Self.checkLimits(title: title, body: body, on: channels)
        let at = try future(try request[ReadingArgs.at], request.text(ReadingArgs.at), argument: "at")
        let series = try (try request[ReadingArgs.series]).map { try Self.line($0, "series", max: 64) }
        let audience = try (try request[ReadingArgs.audience]).map { try Self.line($0, "audience", max: 64) }
        let post = Post(id: state.nextPost, title: title, body: body, at: at, series: series, number: nil, audience: audience,
                        deliveries: channels.map { Delivery(channel: $0.id) }, createdAt: now(), by: request.caller.uid)
        var seq = try await record(PostAdded(post: post), announcing: [Self.addedEvent(post)])
        doorbell.ring()
        if at <= now() { seq = try await makeDue(post.id) ?? seq }
        let after = state.posts[post.id] ?? post
        let due = after.deliveries.contains { $0.status != .scheduled }
        return Reply(data: ["id": .number(post.id), "at": .string(ValueParser.iso8601(at)), "channels": .array(channels.map { .string($0.id) }),
                            "status": .string(due ? "due" : "scheduled"), "seq": .number(seq)],
                     lines: [], message: "post \(post.id) " + (due ? "due now" : "scheduled for \(ValueParser.display(at))")
                        + " on " + channels.map(\.name).joined(separator: ", "))
    }

    static func addedEvent(_ post: Post) -> Announcement {
        Announcement("reading.post.added", ["post": .number(post.id), "at": .string(ValueParser.iso8601(post.at)),
                                            "channels": .array(post.deliveries.map { .string($0.channel) }),
                                            "series": .optional(post.series)])
    }

    func editPost(_ request: Request) async throws -> Reply {
        let id = try request[ReadingArgs.post]
        let post = try existingPost(id)
        if let moved = post.deliveries.first(where: { $0.status != .scheduled }) {
            throw ControlError.conflict("post \(id) is \(moved.status.rawValue) on \(display(moved.channel)); only a post still scheduled on every channel is edited")
        }
        var edit = PostEdited(id: id)
        if let t = try request[ReadingArgs.editTitle] { edit.title = try Self.line(t, "title") }
        if request.body != nil { edit.body = try Self.postBody(request.body) }
        var channels = try post.deliveries.map { try channel(named: $0.channel) }
        if let text = try request[ReadingArgs.editChannels] {
            channels = try self.channels(text)
            edit.channels = channels.map(\.id)
        }
        if let t = try request[ReadingArgs.editAt] { edit.at = try future(t, request.text(ReadingArgs.editAt), argument: "at") }
        if let s = try request[ReadingArgs.editSeries] { edit.series = s.isEmpty ? "" : try Self.line(s, "series", max: 64) }
        if let a = try request[ReadingArgs.editAudience] { edit.audience = a.isEmpty ? "" : try Self.line(a, "audience", max: 64) }
        guard edit.title != nil || edit.body != nil || edit.channels != nil || edit.at != nil || edit.series != nil || edit.audience != nil else {
            throw ControlError.invalidArgument("nothing to change: give title=, channels=, at=, series=, audience= or a new body")
        }
        try Self.checkLimits(title: edit.title ?? post.title, body: edit.body ?? post.body, on: channels)
        let seq = try await record(edit)
        doorbell.ring()
        if let at = edit.at, at <= now() { _ = try await makeDue(id) }
        var reply = try showPost(id)
        reply.message = "post \(id) changed (seq \(seq))"
        return reply
    }

    func cancelPost(_ request: Request) async throws -> Reply {
        let id = try request[ReadingArgs.post]
        let post = try existingPost(id)
        var targets = post.deliveries
        let only = try (try request[ReadingArgs.cancelChannel]).map { try channelID(of: $0, in: post) }
        let force = try request[ReadingArgs.force] == true
        if let only {
            let d = post.delivery(only)!
            guard d.canCancel || (force && d.status == .due) else {
                throw ControlError.conflict(Self.stateText(post, d, display(only)) + "; it cannot be cancelled"
                    + (d.status == .due ? " (force=yes if its hook never answers: its outcome is then ignored)" : ""))
            }
            targets = [d]
        } else {
            if force { throw ControlError.invalidArgument("force=yes needs channel=: it cancels one channel its hook is publishing") }
            targets = targets.filter(\.canCancel)
            guard !targets.isEmpty else {
                throw ControlError.conflict("post \(id) has nothing to cancel: "
                    + post.deliveries.map { "\(display($0.channel)) \($0.status.rawValue)" }.joined(separator: ", "))
            }
        }
        let reason = try (try request[ReadingArgs.reason]).map { try Self.line($0, "reason") }
        let channels = targets.map(\.channel)
        let seq = try await record(PostCancelled(ids: [id], channel: only, reason: reason, at: now(), force: force ? true : nil),
                                   announcing: [Announcement("reading.post.cancelled", ["post": .number(id),
                                                                                         "channels": .array(channels.map { .string($0) })])])
        return Reply(data: ["id": .number(id), "cancelled": .array(channels.map { .string($0) }), "seq": .number(seq)], lines: [],
                     message: "post \(id) cancelled on " + channels.map(display).joined(separator: ", "))
    }

    /// The channel of `post` that `text` names (id or display name).
    func channelID(of text: String, in post: Post) throws(ControlError) -> String {
        let t = text.trimmingCharacters(in: .whitespaces)
        if post.delivery(t) != nil { return t }
        let id = try channel(named: t).id
        guard post.delivery(id) != nil else {
            throw .notFound("post \(post.id) is not on \(display(id)) (\(id)); it is on " + post.deliveries.map { display($0.channel) }.joined(separator: ", "))
        }
        return id
    }

    /// `post 3 is published on 微博 (2022-01-12 09:00 +08:00)`, for conflicts.
    static func stateText(_ post: Post, _ d: Delivery, _ name: String) -> String {
        var text = "post \(post.id) is \(d.status.rawValue) on \(name)"
        switch d.status {
        case .scheduled: text += " (due \(ValueParser.display(post.at)))"
        case .published: text += d.publishedAt.map { " (\(ValueParser.display($0)))" } ?? ""
        case .failed: text += d.reason.map { " (\($0))" } ?? ""
        case .due: text += d.kind == .api ? " (its hook is publishing it)" : " (in the queue)"
        case .cancelled: break
        }
        return text
    }

    // MARK: Due, published, failed, retried

    /// Makes every scheduled channel of post `id` due, in one record: `api` ones announce
    /// `reading.publish.CHANNEL` for their hook, `manual` ones enter the queue
    /// (`reading.post.queued`), and a channel gone from the config fails. Nil when nothing was
    /// scheduled (the scheduler and a request may both get here: the first does it).
    @discardableResult
    func makeDue(_ id: Int) async throws -> UInt64? {
        guard let post = state.posts[id], post.isScheduled else { return nil }
        let now = now()
        var api: [String] = [], manual: [String] = [], gone: [String] = []
        var announcing: [Announcement] = []
        for d in post.deliveries where d.status == .scheduled {
            switch settings.channel(d.channel)?.kind {
            case .api?:
                api.append(d.channel)
                announcing.append(publishEvent(post, channel: d.channel, attempt: d.attempts + 1))
            case .manual?:
                manual.append(d.channel)
                announcing.append(queuedEvent(post, channel: d.channel))
            case nil:
                gone.append(d.channel)
                announcing.append(Announcement("reading.post.failed", ["post": .number(id), "channel": .string(d.channel),
                                                                       "attempts": .number(d.attempts + 1), "final": .bool(true)]))
            }
        }
        let seq = try await record(PostDue(id: id, api: api, manual: manual, gone: gone, at: now), announcing: announcing)
        if !gone.isEmpty {
            context.logger.warning("a post fell due on channels no longer configured", metadata: ["post": "\(id)", "channels": "\(gone)"])
        }
        return seq
    }

    /// What an `api` channel's hook gets (on standard input, as the event's `data`): the post
    /// as it is to be published, and a key for idempotency.
    func publishEvent(_ post: Post, channel: String, attempt: Int) -> Announcement {
        Announcement("reading.publish.\(channel)", [
            "post": .number(post.id), "channel": .string(channel), "name": .string(display(channel)),
            "title": .string(post.title), "body": .string(post.body), "at": .string(ValueParser.iso8601(post.at)),
            "series": .optional(post.series), "audience": .optional(post.audience), "attempt": .number(attempt),
            "key": .string("reading-\(post.id)-\(channel)"),
        ])
    }

    func queuedEvent(_ post: Post, channel: String) -> Announcement {
        Announcement("reading.post.queued", ["post": .number(post.id), "channel": .string(channel), "name": .string(display(channel)),
                                             "title": .string(post.title)])
    }

    func confirmPublished(_ request: Request) async throws -> Reply {
        let id = try request[ReadingArgs.post]
        let post = try existingPost(id)
        let channel = try channelID(of: try request[ReadingArgs.channel], in: post)
        let url = try Self.url(try request[ReadingArgs.url], "url")
        let d = post.delivery(channel)!
        switch d.status {
        case .due where d.kind == .manual, .failed: break
        case .due where try request[ReadingArgs.force] == true: break
        case .due:
            throw ControlError.conflict(Self.stateText(post, d, display(channel)) + "; wait for its outcome (reading.post.show \(id)), "
                + "or add force=yes if its hook never answers")
        case .scheduled:
            throw ControlError.conflict(Self.stateText(post, d, display(channel)) + "; it is not due yet")
        case .published:
            throw ControlError.conflict(Self.stateText(post, d, display(channel)) + " at \(d.url ?? "no URL"); it is published once")
        case .cancelled:
            throw ControlError.conflict(Self.stateText(post, d, display(channel)))
        }
        let at = try request[ReadingArgs.publishedAt] ?? now()
        let seq = try await record(PostPublished(id: id, channel: channel, url: url, by: "uid \(request.caller.uid)", at: at),
                                   announcing: [publishedEvent(id, channel: channel, url: url)])
        return Reply(data: ["id": .number(id), "channel": .string(channel), "url": .string(url), "published_at": .string(ValueParser.iso8601(at)),
                            "seq": .number(seq)], lines: [],
                     message: "post \(id) published on \(display(channel)): \(url)")
    }

    func publishedEvent(_ id: Int, channel: String, url: String?) -> Announcement {
        Announcement("reading.post.published", ["post": .number(id), "channel": .string(channel), "url": .optional(url)])
    }

    /// A hook's outcome for a `reading.publish.CHANNEL` event: a success publishes the post on
    /// the channel with the URL the hook printed; a failed attempt is noted while the hook
    /// retries; a give-up fails it with the reason. Outcomes for anything else, for an older
    /// attempt, from another hook than the channel's `hook`, or for a channel no longer due
    /// are consumed without a change.
    func hookOutcome(_ event: Event) async throws {
        let prefix = Self.namespace + ".publish."
        guard case .string(let source)? = event.data["event"], source.hasPrefix(prefix),
            case .int(let rawSeq)? = event.data["seq"], rawSeq > 0, case .string(let hook)? = event.data["hook"]
        else { return }
        let channel = String(source.dropFirst(prefix.count))
        let seq = UInt64(rawSeq)
        guard let id = state.dispatched(seq: seq, channel: channel), let post = state.posts[id], let d = post.delivery(channel),
            d.dispatchSeq == seq, d.status == .due
        else { return }
        if let wanted = settings.channel(channel)?.hook, wanted != hook { return }
        let output: String? = if case .string(let o)? = event.data["output"], !o.isEmpty { o } else { nil }
        let attempt: String = if case .int(let a)? = event.data["attempt"] { "\(a)" } else { "?" }
        var outcome = "?"
        if case .string(let o)? = event.data["outcome"] { outcome = o }
        if case .int(let exit)? = event.data["exit"] { outcome += " (exit \(exit))" }
        let now = now()
        switch event.name {
        case "hooks.succeeded":
            try await record(PostPublished(id: id, channel: channel, url: output, by: "hook \(hook)", at: now),
                             announcing: [publishedEvent(id, channel: channel, url: output)])
        case "hooks.gave_up":
            let reason = "hook \(hook) gave up after attempt \(attempt): \(outcome)" + (output.map { ": \($0)" } ?? "")
            try await record(PostFailed(id: id, channel: channel, reason: reason, final: true, at: now),
                             announcing: [Announcement("reading.post.failed", ["post": .number(id), "channel": .string(channel),
                                                                               "attempts": .number(d.attempts), "final": .bool(true)])])
        default:
            // hooks.failed: the last one is followed by hooks.gave_up, which fails the post.
            guard case .string(let next)? = event.data["next_at"] else { return }
            let reason = "hook \(hook) attempt \(attempt): \(outcome)" + (output.map { ": \($0)" } ?? "")
                + "; retried at \(TimeText.display(next) ?? next)"
            try await record(PostFailed(id: id, channel: channel, reason: reason, final: false, at: now))
        }
    }

    func retry(_ request: Request) async throws -> Reply {
        let channel = try channel(named: try request[ReadingArgs.channel])
        let since = try request[ReadingArgs.failedSince]
        var ids: [Int]
        if let id = try request[ReadingArgs.retryPost] {
            let post = try existingPost(id)
            guard let d = post.delivery(channel.id) else {
                throw ControlError.notFound("post \(id) is not on \(channel.name) (\(channel.id))")
            }
            guard d.status == .failed else {
                throw ControlError.conflict(Self.stateText(post, d, channel.name) + "; only a failed post is retried")
            }
            ids = [id]
        } else {
            ids = state.postsInOrder.filter { p in
                guard let d = p.delivery(channel.id), d.status == .failed else { return false }
                return since.map { (d.failedAt ?? 0) >= $0 } ?? true
            }.map(\.id)
        }
        var retried: [Int] = []
        var lastSeq: UInt64?
        // One record each: a hook's outcome names the record (seq) and channel of its event.
        for id in ids {
            guard let post = state.posts[id], let d = post.delivery(channel.id), d.status == .failed else { continue }
            let announcement = channel.kind == .api ? publishEvent(post, channel: channel.id, attempt: d.attempts + 1)
                : queuedEvent(post, channel: channel.id)
            lastSeq = try await record(PostRetried(id: id, channel: channel.id, kind: channel.kind, at: now()), announcing: [announcement])
            retried.append(id)
        }
        let message = retried.isEmpty ? "nothing to retry: no failed post on \(channel.name)" + (since.map { " since \(ValueParser.display($0))" } ?? "")
            : "\(retried.count) posts sent again on \(channel.name): " + retried.map(String.init).joined(separator: ", ")
        return Reply(data: ["channel": .string(channel.id), "retried": .array(retried.map { .number($0) }), "seq": lastSeq.map { .number($0) } ?? .null],
                     lines: [], message: message)
    }

    // MARK: Reads

    func deliveryJSON(_ d: Delivery) -> JSON {
        ["channel": .string(d.channel), "name": .string(display(d.channel)), "kind": .optional((d.kind ?? settings.channel(d.channel)?.kind)?.rawValue),
         "status": .string(d.status.rawValue), "due_at": d.dueAt.map { .string(ValueParser.iso8601($0)) } ?? .null,
         "attempts": .number(d.attempts), "url": .optional(d.url),
         "published_at": d.publishedAt.map { .string(ValueParser.iso8601($0)) } ?? .null, "published_by": .optional(d.publishedBy),
         "failed_at": d.failedAt.map { .string(ValueParser.iso8601($0)) } ?? .null, "reason": .optional(d.reason),
         "last_error": .optional(d.lastError), "cancelled_at": d.cancelledAt.map { .string(ValueParser.iso8601($0)) } ?? .null]
    }

    func showPost(_ id: Int) throws -> Reply {
        let post = try existingPost(id)
        let data: JSON = ["id": .number(post.id), "title": .string(post.title), "body": .string(post.body),
                          "at": .string(ValueParser.iso8601(post.at)), "series": .optional(post.series),
                          "number": post.number.map { .number($0) } ?? .null, "audience": .optional(post.audience),
                          "created": .string(ValueParser.iso8601(post.createdAt)), "cancel_reason": .optional(post.cancelReason),
                          "channels": .array(post.deliveries.map(deliveryJSON))]
        var lines = ["post \(post.id): \(post.title)", "due: \(ValueParser.display(post.at))"]
        if let s = post.series { lines.append("series: \(s)" + (post.number.map { " #\($0)" } ?? "")) }
        if let a = post.audience { lines.append("audience: \(a)") }
        let rows = post.deliveries.map { d -> [String] in
            let detail = d.url ?? d.reason ?? d.lastError ?? (d.status == .due && d.kind == .manual ? "in reading.queue \(d.channel)" : "")
            let when = d.publishedAt ?? d.failedAt ?? d.cancelledAt ?? d.dueAt
            return [display(d.channel), d.status.rawValue, when.map(ValueParser.display) ?? "-", "\(d.attempts)", detail.isEmpty ? "-" : detail]
        }
        lines += TextRenderer.table(header: ["channel", "status", "since", "attempts", "url / reason"], rows: rows)
        lines.append("text:")
        lines += post.body.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
        return Reply(data: data, lines: lines, message: "post \(id)")
    }

    func postRow(_ post: Post) -> JSON {
        ["id": .number(post.id), "at": .string(ValueParser.iso8601(post.at)), "title": .string(post.title), "series": .optional(post.series),
         "audience": .optional(post.audience),
         "channels": .array(post.deliveries.map { ["channel": .string($0.channel), "name": .string(display($0.channel)),
                                                   "status": .string($0.status.rawValue)] })]
    }

    /// Rows of posts as a table: id, due time, title, and each channel's state.
    func postLines(_ posts: [Post]) -> [String] {
        TextRenderer.table(header: ["id", "due", "title", "channels"], rows: posts.map { p in
            ["\(p.id)", ValueParser.display(p.at), p.title,
             p.deliveries.map { "\(display($0.channel)) \($0.status.rawValue)" }.joined(separator: ", ")]
        })
    }

    func listPosts(_ request: Request) throws -> Reply {
        let status = try request[ReadingArgs.status].flatMap { $0 == "all" ? nil : DeliveryStatus(rawValue: $0) }
        let only = try (try request[ReadingArgs.onlyChannel]).map { try channelFilter($0) }
        let series = try request[ReadingArgs.onlySeries]
        let range = try Self.range(from: try request[ReadingArgs.from], to: try request[ReadingArgs.to])
        let posts = state.postsInOrder.filter { p in
            p.at >= range.from && p.at < range.to && (series == nil || p.series == series)
                && p.deliveries.contains { (only == nil || $0.channel == only) && (status == nil || $0.status == status) }
        }
        return Reply(data: .array(posts.map(postRow)), lines: posts.isEmpty ? [] : postLines(posts), message: "\(posts.count) posts")
    }

    /// A channel filter: a configured channel, or one posts still name after it left the config.
    func channelFilter(_ text: String) throws(ControlError) -> String {
        if state.posts.values.contains(where: { $0.delivery(text) != nil }), settings.channel(text) == nil { return text }
        return try channel(named: text).id
    }

    /// The copy-ready queue: what staff paste into a platform without an API, oldest due first.
    func queue(_ only: String?) throws -> Reply {
        var channels = settings.channels.filter { $0.kind == .manual }
        if let only {
            let c = try channel(named: only)
            guard c.kind == .manual else {
                throw ControlError.invalidArgument("\(c.name) (\(c.id)) is an api channel: its hook publishes; see reading.post.list channel=\(c.id) status=due")
            }
            channels = [c]
        }
        let ids = Set(channels.map(\.id))
        var items: [(Post, Delivery)] = []
        for post in state.postsInOrder {
            for d in post.deliveries where ids.contains(d.channel) && d.status == .due && d.kind == .manual { items.append((post, d)) }
        }
        items.sort { ($0.1.dueAt ?? $0.0.at, $0.0.at, $0.0.id) < ($1.1.dueAt ?? $1.0.at, $1.0.at, $1.0.id) }
        var lines: [String] = []
        for (i, (post, d)) in items.enumerated() {
            lines.append("── \(i + 1)/\(items.count) · \(display(d.channel)) · post \(post.id) · due \(ValueParser.display(d.dueAt ?? post.at)) ──")
            lines.append(post.title)
            lines.append("")
            lines += post.body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.append("── then: reading.post.published \(post.id) channel=\(d.channel) url=… ──")
        }
        let rows: [JSON] = items.map { post, d in
            ["post": .number(post.id), "channel": .string(d.channel), "name": .string(display(d.channel)),
             "due_at": .string(ValueParser.iso8601(d.dueAt ?? post.at)), "title": .string(post.title), "body": .string(post.body)]
        }
        let names = channels.map(\.name).joined(separator: ", ")
        return Reply(data: .array(rows), lines: lines,
                     message: items.isEmpty ? "nothing to publish by hand on \(names.isEmpty ? "any channel" : names)"
                        : "\(items.count) posts to publish by hand on \(names)")
    }
}
