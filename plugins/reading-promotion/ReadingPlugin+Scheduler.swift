import PluginAPI
import PluginSupport

/// The scheduler: posts fall due and reminders go out at their times on the host clock.
extension ReadingPromotionPlugin {
    /// Until stopped: makes due what is due (at the first start after a stop, everything that
    /// fell due meanwhile, once, oldest first), then sleeps until the next due time or until a
    /// post, series or event is added or changed.
    public func run() async throws {
        while !Task.isCancelled {
            do {
                try await catchUp()
            } catch {
                if Task.isCancelled { return }
                // Not recorded (a full disk, say): nothing changed; try again shortly.
                context.logger.error("the scheduler could not record a due post or a reminder; trying again in 5 s",
                                     metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(5))
                continue
            }
            await idle(until: nextWake())
        }
    }

    /// Records every post and reminder due now, oldest first; returns when none is left.
    func catchUp() async throws {
        while !Task.isCancelled {
            let now = now()
            if let post = state.posts.values.filter({ $0.isScheduled && $0.at <= now }).min(by: { ($0.at, $0.id) < ($1.at, $1.id) }) {
                try await makeDue(post.id)
                continue
            }
            if let event = pendingReminders(now: now).first {
                try await remind(event)
                continue
            }
            return
        }
    }

    /// Events whose reminder time has come, before they start.
    func pendingReminders(now: Int64) -> [OnlineEvent] {
        state.events.values.filter { e in
            guard let at = e.remindAt, e.remindedAt == nil, e.cancelledAt == nil else { return false }
            return at <= now && now < e.at
        }.sorted { ($0.at, $0.id) < ($1.at, $1.id) }
    }

    /// `reading.event.reminder`: for a `[[hooks]]` entry that tells the registrants (it reads
    /// their contacts with `reading.event.show ID` as an operator: the event carries none).
    func remind(_ e: OnlineEvent) async throws {
        try await record(Reminded(event: e.id, at: now()), announcing: [Announcement("reading.event.reminder", [
            "event": .number(e.id), "title": .string(e.title), "at": .string(ValueParser.iso8601(e.at)), "link": .optional(e.link),
            "channel": .optional(e.channel), "registered": .number(e.registered), "waitlisted": .number(e.waitlisted),
        ])])
    }

    /// The next time something falls due: a scheduled post, or a reminder not yet sent.
    func nextWake() -> Int64? {
        let now = now()
        let reminders = state.events.values.compactMap { e -> Int64? in
            guard let at = e.remindAt, e.remindedAt == nil, e.cancelledAt == nil, now < e.at else { return nil }
            return at
        }
        return ([state.nextDue].compactMap { $0 } + reminders).min()
    }

    /// Sleeps on the host clock until `due`, or until the doorbell rings.
    func idle(until due: Int64?) async {
        let clock = context.clock, doorbell = self.doorbell
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await doorbell.wait() }
            if let due { group.addTask { try? await clock.sleep(until: due) } }
            await group.next()
            group.cancelAll()
        }
    }
}
