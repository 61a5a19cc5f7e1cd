import Foundation
public import PluginAPI
import PluginSupport
import Synchronization

/// Reading promotion (“线下闭馆，线上服务不停”): the closed library's posts to its channels on a
/// schedule, a copy-ready queue for channels without a publishing API, online events with
/// capacity, waitlist and reminders, readers' pledges to come back, and the figures.
///
/// Its scheduler reads the host clock: each post's due time is part of the post's own journal
/// record, so it survives any restart, and one that passed while the daemon was down falls due
/// at the first start after (``run()``), once. An `api` channel's post goes out as the event
/// `reading.publish.CHANNEL`, which a `[[hooks]]` command (with `capture = true`) publishes;
/// the hook's outcome comes back through a durable reaction to `hooks.succeeded`,
/// `hooks.failed` and `hooks.gave_up`.
public actor ReadingPromotionPlugin: StatefulPlugin {
    public static let id = "reading-promotion"
    public static let namespace = "reading"
    public static let summary = "reading promotion: scheduled posts per channel, copy-ready queue, online events, invitations, figures"

    var settings: ReadingSettings
    var state = ReadingState()
    let context: PluginContext
    /// Rung when a post, series or event is added or changed: the scheduler looks again.
    let doorbell = Doorbell()

    public nonisolated var stateService: any StateService { context.state }

    public init(config: PluginConfig, context: PluginContext) throws {
        settings = try ReadingSettings(config)
        self.context = context
    }

    /// Channels, limits, lead times and templates apply to what comes next; a post on a channel
    /// removed from the config fails when it falls due, naming it.
    public func reload(_ config: PluginConfig) async throws -> Bool {
        settings = try ReadingSettings(config)
        doorbell.ring()
        return true
    }

    public func apply(_ event: RecordedEvent) throws { try state.apply(event) }

    public func encodeSnapshot() throws -> [UInt8] { try SnapshotJSON.encode(state) }

    public func restoreSnapshot(_ bytes: [UInt8]?) throws { state = try SnapshotJSON.decode(ReadingState.self, bytes, empty: ReadingState()) }

    public func status() async -> JSON {
        let deliveries = state.posts.values.flatMap(\.deliveries)
        func count(_ s: DeliveryStatus) -> Int { deliveries.filter { $0.status == s }.count }
        return ["channels": .number(settings.channels.count), "posts": .number(state.posts.count),
                "scheduled": .number(count(.scheduled)), "due": .number(count(.due)), "published": .number(count(.published)),
                "failed": .number(count(.failed)), "events": .number(state.events.count), "invitations": .number(state.invites.count),
                "next_due": state.nextDue.map { .string(ValueParser.iso8601($0)) } ?? .null]
    }

    /// The host clock (manual in tests).
    nonisolated func now() -> Int64 { context.clock.now() }

    /// A post that becomes due announces itself through the hooks service; its outcome comes
    /// back here, from the journal, exactly once per outcome.
    public static let reactions: [EventReaction<ReadingPromotionPlugin>] = [
        .on("hooks.succeeded", "hooks.failed", "hooks.gave_up") { plugin, event in try await plugin.hookOutcome(event) },
    ]
}

