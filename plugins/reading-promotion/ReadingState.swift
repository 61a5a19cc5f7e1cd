import PluginAPI
import PluginSupport

/// Where one post stands on one channel.
enum DeliveryStatus: String, Codable, Sendable, CaseIterable {
    case scheduled, due, published, failed, cancelled
}

/// One post on one channel: scheduled → due → published | failed → (retry) due.
struct Delivery: Codable, Sendable, Equatable {
    var channel: String
    var status: DeliveryStatus
    /// How it went out when it fell due (the channel's kind then).
    var kind: ChannelKind?
    /// When it last fell due (at its time, or by a retry).
    var dueAt: Int64?
    /// `api`: the journal record that announced `reading.publish.CHANNEL`; a hook's outcome
    /// names it (`seq`), so an outcome for an older attempt is told apart.
    var dispatchSeq: UInt64?
    /// Times it fell due: 1, plus one per retry.
    var attempts = 0
    var url: String?
    var publishedAt: Int64?
    /// `hook NAME` or `uid N`.
    var publishedBy: String?
    var failedAt: Int64?
    var reason: String?
    /// Every time it was given up on (for the figures: a failure stays counted after a retry).
    var failures: [Int64] = []
    /// The latest failed attempt while the hook still retries.
    var lastError: String?
    var cancelledAt: Int64?

    init(channel: String) {
        self.channel = channel
        self.status = .scheduled
    }
}

struct Post: Codable, Sendable, Equatable {
    var id: Int
    var title: String
    var body: String
    /// When it is due.
    var at: Int64
    var series: String?
    /// Its number in its series (1, 2, …), for generated posts.
    var number: Int?
    var audience: String?
    var deliveries: [Delivery]
    var createdAt: Int64
    var by: UInt32
    var cancelReason: String?

    func delivery(_ channel: String) -> Delivery? { deliveries.first { $0.channel == channel } }

    /// Whether any channel still waits for its time.
    var isScheduled: Bool { deliveries.contains { $0.status == .scheduled } }
}

/// A series (居家防疫小技巧): posts generated from a list of bodies at a cadence.
struct Series: Codable, Sendable, Equatable {
    var name: String
    var title: String
    var cadence: Cadence
    var channels: [String]
    var audience: String?
    var posts: [Int]
    var createdAt: Int64
    var cancelledAt: Int64?
}

enum RegistrationStatus: String, Codable, Sendable {
    case registered, waitlisted, cancelled
}

struct Registration: Codable, Sendable, Equatable {
    /// 1, 2, … within its event.
    var no: Int
    var name: String
    var contact: String
    /// The contact as compared (digits and letters only, lowercased): one registration each.
    var key: String
    var status: RegistrationStatus
    var at: Int64
    var promotedAt: Int64?
    var cancelledAt: Int64?
    var attended = false
}

/// An online event (a lecture, a quiz, a course) with capacity, waitlist and reminder.
struct OnlineEvent: Codable, Sendable, Equatable {
    var id: Int
    var title: String
    var at: Int64
    /// Seconds.
    var duration: Int64
    var capacity: Int
    var audience: String?
    var channel: String?
    var link: String?
    var waitlist: Bool
    /// Seconds before `at` when registrants are reminded (0: never).
    var remind: Int64
    var registrations: [Registration] = []
    var remindedAt: Int64?
    var cancelledAt: Int64?
    var cancelReason: String?
    /// Attendance counted by the platform (viewers), when given.
    var attendanceCount: Int?
    var createdAt: Int64

    var ends: Int64 { at + duration }
    var registered: Int { registrations.filter { $0.status == .registered }.count }
    var waitlisted: Int { registrations.filter { $0.status == .waitlisted }.count }
    /// Attendance: the count given, else the registrants marked attended.
    var attendance: Int { attendanceCount ?? registrations.filter(\.attended).count }
    var remindAt: Int64? { remind > 0 ? at - remind : nil }
}

/// A reader's pledge to come back when the library reopens (“待到春暖花开时，我在省图等你”).
struct Invite: Codable, Sendable, Equatable {
    var id: Int
    var name: String
    var contact: String
    var key: String
    var note: String?
    var at: Int64
    var by: UInt32
}

// MARK: - Journal records

struct PostAdded: StateEvent {
    static let eventType = "post.add"
    static let schemaVersion = 1
    var post: Post
}

/// Changes to a post still scheduled everywhere (nil: unchanged; "" clears series or audience).
struct PostEdited: StateEvent {
    static let eventType = "post.edit"
    static let schemaVersion = 1
    var id: Int
    var title: String?
    var body: String?
    var at: Int64?
    var channels: [String]?
    var series: String?
    var audience: String?
}

/// A post fell due: its scheduled channels go to their hooks (`api`) or the queue (`manual`);
/// one no longer configured fails.
struct PostDue: StateEvent {
    static let eventType = "post.due"
    static let schemaVersion = 1
    var id: Int
    var api: [String]
    var manual: [String]
    var gone: [String]
    var at: Int64
}

/// A failed post on one channel falls due again.
struct PostRetried: StateEvent {
    static let eventType = "post.retry"
    static let schemaVersion = 1
    var id: Int
    var channel: String
    var kind: ChannelKind
    var at: Int64
}

struct PostPublished: StateEvent {
    static let eventType = "post.published"
    static let schemaVersion = 1
    var id: Int
    var channel: String
    var url: String?
    var by: String
    var at: Int64
}

/// A hook's attempt failed: `final` when it gave up (the post fails), else the hook retries.
struct PostFailed: StateEvent {
    static let eventType = "post.failed"
    static let schemaVersion = 1
    var id: Int
    var channel: String
    var reason: String
    var final: Bool
    var at: Int64
}

struct PostCancelled: StateEvent {
    static let eventType = "post.cancel"
    static let schemaVersion = 1
    var ids: [Int]
    /// nil: every channel that can be cancelled.
    var channel: String?
    var reason: String?
    var at: Int64
    /// The series cancelled with them, if any.
    var series: String?
    /// Also a channel its hook is publishing (`force=yes`: a hook that never answers).
    var force: Bool?
}

struct SeriesAdded: StateEvent {
    static let eventType = "series.add"
    static let schemaVersion = 1
    /// nil when posts are added to an existing series.
    var series: Series?
    var name: String
    var posts: [Post]
}

struct EventAdded: StateEvent {
    static let eventType = "event.add"
    static let schemaVersion = 1
    var event: OnlineEvent
}

struct Registered: StateEvent {
    static let eventType = "event.register"
    static let schemaVersion = 1
    var event: Int
    var registration: Registration
}

/// A registrant withdrew; the first on the waitlist takes the place (in apply: deterministic).
struct Unregistered: StateEvent {
    static let eventType = "event.unregister"
    static let schemaVersion = 1
    var event: Int
    var no: Int
    var at: Int64
}

struct EventCancelled: StateEvent {
    static let eventType = "event.cancel"
    static let schemaVersion = 1
    var event: Int
    var reason: String
    var at: Int64
}

struct Reminded: StateEvent {
    static let eventType = "event.remind"
    static let schemaVersion = 1
    var event: Int
    var at: Int64
}

struct Attended: StateEvent {
    static let eventType = "event.attend"
    static let schemaVersion = 1
    var event: Int
    var nos: [Int]
    var count: Int?
    var at: Int64
}

struct InviteAdded: StateEvent {
    static let eventType = "invite.add"
    static let schemaVersion = 1
    var invite: Invite
}

// MARK: - State

struct ReadingState: Codable, Sendable, Equatable {
    var posts: [Int: Post] = [:]
    var series: [String: Series] = [:]
    var events: [Int: OnlineEvent] = [:]
    var invites: [Int: Invite] = [:]
    var nextPost = 1
    var nextEvent = 1
    var nextInvite = 1
    /// `SEQ:CHANNEL` of each api dispatch → post id: a hook's outcome names the seq.
    var dispatches: [String: Int] = [:]

    static func dispatchKey(_ seq: UInt64, _ channel: String) -> String { "\(seq):\(channel)" }

    static let handlers = EventHandlers<ReadingState>(
        .on(PrivacyPurged.self) { s, e, _ in _ = s.purge(before: e.before) },
        .on(PostAdded.self) { s, e, _ in s.add(e.post) },
        .on(PostEdited.self) { s, e, _ in s.edit(e) },
        .on(PostDue.self) { s, e, recorded in s.due(e, seq: recorded.seq) },
        .on(PostRetried.self) { s, e, recorded in
            s.update(e.id, e.channel) { d in
                guard d.status == .failed else { return }
                d.status = .due
                d.kind = e.kind
                d.dueAt = e.at
                d.attempts += 1
                d.reason = nil
                d.failedAt = nil
                d.lastError = nil
                d.dispatchSeq = e.kind == .api ? recorded.seq : nil
            }
            if e.kind == .api { s.dispatches[dispatchKey(recorded.seq, e.channel)] = e.id }
        },
        .on(PostPublished.self) { s, e, _ in
            s.update(e.id, e.channel) { d in
                guard d.status == .due || d.status == .failed else { return }
                d.status = .published
                d.url = e.url
                d.publishedAt = e.at
                d.publishedBy = e.by
                d.reason = nil
                d.lastError = nil
            }
        },
        .on(PostFailed.self) { s, e, _ in
            s.update(e.id, e.channel) { d in
                guard d.status == .due else { return }
                if e.final {
                    d.status = .failed
                    d.failedAt = e.at
                    d.reason = e.reason
                    d.failures.append(e.at)
                } else {
                    d.lastError = e.reason
                }
            }
        },
        .on(PostCancelled.self) { s, e, _ in
            for id in e.ids {
                guard var post = s.posts[id] else { continue }
                for i in post.deliveries.indices where e.channel == nil || post.deliveries[i].channel == e.channel {
                    if post.deliveries[i].canCancel || (e.force == true && post.deliveries[i].status == .due) {
                        post.deliveries[i].status = .cancelled
                        post.deliveries[i].cancelledAt = e.at
                    }
                }
                if e.reason != nil { post.cancelReason = e.reason }
                s.posts[id] = post
            }
            if let name = e.series { s.series[name]?.cancelledAt = e.at }
        },
        .on(SeriesAdded.self) { s, e, _ in
            if let series = e.series { s.series[e.name] = series }
            for post in e.posts {
                s.add(post)
                s.series[e.name]?.posts.append(post.id)
            }
        },
        .on(EventAdded.self) { s, e, _ in
            s.events[e.event.id] = e.event
            s.nextEvent = max(s.nextEvent, e.event.id + 1)
        },
        .on(Registered.self) { s, e, _ in s.events[e.event]?.registrations.append(e.registration) },
        .on(Unregistered.self) { s, e, _ in
            guard var event = s.events[e.event], let i = event.registrations.firstIndex(where: { $0.no == e.no }) else { return }
            let freed = event.registrations[i].status == .registered
            event.registrations[i].status = .cancelled
            event.registrations[i].cancelledAt = e.at
            if freed, event.registered < event.capacity, let next = event.registrations.firstIndex(where: { $0.status == .waitlisted }) {
                event.registrations[next].status = .registered
                event.registrations[next].promotedAt = e.at
            }
            s.events[e.event] = event
        },
        .on(EventCancelled.self) { s, e, _ in
            s.events[e.event]?.cancelledAt = e.at
            s.events[e.event]?.cancelReason = e.reason
        },
        .on(Reminded.self) { s, e, _ in s.events[e.event]?.remindedAt = e.at },
        .on(Attended.self) { s, e, _ in
            guard var event = s.events[e.event] else { return }
            for i in event.registrations.indices where e.nos.contains(event.registrations[i].no) { event.registrations[i].attended = true }
            if let count = e.count { event.attendanceCount = count }
            s.events[e.event] = event
        },
        .on(InviteAdded.self) { s, e, _ in
            s.invites[e.invite.id] = e.invite
            s.nextInvite = max(s.nextInvite, e.invite.id + 1)
        }
    )

    mutating func apply(_ event: RecordedEvent) throws { try Self.handlers.apply(event, to: &self) }

    mutating func add(_ post: Post) {
        posts[post.id] = post
        nextPost = max(nextPost, post.id + 1)
    }

    mutating func edit(_ e: PostEdited) {
        guard var post = posts[e.id] else { return }
        if let title = e.title { post.title = title }
        if let body = e.body { post.body = body }
        if let at = e.at { post.at = at }
        if let channels = e.channels { post.deliveries = channels.map { post.delivery($0) ?? Delivery(channel: $0) } }
        if let series = e.series { post.series = series.isEmpty ? nil : series }
        if let audience = e.audience { post.audience = audience.isEmpty ? nil : audience }
        posts[e.id] = post
    }

    mutating func due(_ e: PostDue, seq: UInt64) {
        guard var post = posts[e.id] else { return }
        for i in post.deliveries.indices where post.deliveries[i].status == .scheduled {
            let channel = post.deliveries[i].channel
            var d = post.deliveries[i]
            d.dueAt = e.at
            d.attempts += 1
            if e.api.contains(channel) {
                d.status = .due
                d.kind = .api
                d.dispatchSeq = seq
                dispatches[Self.dispatchKey(seq, channel)] = post.id
            } else if e.manual.contains(channel) {
                d.status = .due
                d.kind = .manual
            } else if e.gone.contains(channel) {
                d.status = .failed
                d.failedAt = e.at
                d.reason = "channel \(channel) is not in the config any more"
                d.failures.append(e.at)
            } else {
                continue
            }
            post.deliveries[i] = d
        }
        posts[e.id] = post
    }

    mutating func update(_ id: Int, _ channel: String, _ change: (inout Delivery) -> Void) {
        guard var post = posts[id], let i = post.deliveries.firstIndex(where: { $0.channel == channel }) else { return }
        change(&post.deliveries[i])
        posts[id] = post
    }

    // MARK: Reads

    /// Posts in due order (time, then id).
    var postsInOrder: [Post] { posts.values.sorted { ($0.at, $0.id) < ($1.at, $1.id) } }

    /// The earliest time a scheduled post falls due.
    var nextDue: Int64? { posts.values.filter(\.isScheduled).map(\.at).min() }

    /// The post and channel an api dispatch went out for.
    func dispatched(seq: UInt64, channel: String) -> Int? { dispatches[Self.dispatchKey(seq, channel)] }
}

extension Delivery {
    /// Scheduled, failed, or waiting in a person's queue: nothing is in flight.
    var canCancel: Bool { status == .scheduled || status == .failed || (status == .due && kind == .manual) }
}
