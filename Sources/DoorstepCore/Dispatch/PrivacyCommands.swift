import PluginAPI
import PluginSupport
import Synchronization

/// `privacy.*`: retention and purge of personal data (docs/protocol.md, "Privacy").
struct PrivacyCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("privacy.purge", summary: "remove personal data older than a date from the state and the disk", role: .admin,
                    arguments: [
                        .named("before", .time, required: true, summary: "records older than this lose their personal data (a date: its local midnight)"),
                        .named("dry_run", .bool, summary: "yes: only count what would be removed"),
                    ], mutates: true).zh("删除某日期之前的个人信息（状态与磁盘）"),
        CommandSpec("privacy.report", summary: "what personal data is held, how old, and when it will be purged", role: .operator)
            .zh("个人信息的持有量、最早时间与清除时间"),
    ]

    let runtime: DaemonRuntime

    func run(_ request: Request) async throws -> Reply {
        switch request.command {
        case "privacy.purge":
            guard let before = try request.time("before") else { throw ControlError.missingArgument("privacy.purge needs before=DATE") }
            let now = runtime.host.clock.now()
            if before > now + 300 {
                throw ControlError.invalidArgument("privacy.purge before=\(request.string("before") ?? "") is in the future: a purge "
                    + "removes what is older than a past date; use a date before today (such as \(ValueParser.localDate(now - 30 * 86_400)))")
            }
            let dryRun = try request.bool("dry_run") ?? false
            let outcome = try await PrivacyPurge(host: runtime.host).run(before: before, dryRun: dryRun)
            if !dryRun { Self.log(outcome, before: before, by: "uid \(request.caller.uid)", runtime.logger) }
            return PrivacyPurge.reply(outcome, before: before)
        case "privacy.report":
            return await report()
        default:
            throw ControlError.internalError("privacy command \(request.command) has no handler")
        }
    }

    static func log(_ o: PrivacyPurge.Outcome, before: Int64, by who: String, _ logger: Logger) {
        logger.notice("personal data purged", metadata: [
            "before": "\(ValueParser.iso8601(before))", "records": "\(o.total)", "by": "\(who)",
            "segments_removed": "\(o.segmentsRemoved)", "segments_kept": "\(o.segmentsKept)", "message_id": "\(MessageID.purged)",
        ])
    }

    /// The start of the local day `days` days before `now`: what the daily purge removes before.
    static func cutoff(now: Int64, retainDays days: Int) -> Int64 {
        let t = now - Int64(days) * 86_400
        return ValueParser.time(ValueParser.localDate(t)) ?? t
    }

    private func report() async -> Reply {
        let days = runtime.config.privacy.retainDays
        let now = runtime.host.clock.now()
        let cutoff = days > 0 ? Self.cutoff(now: now, retainDays: days) : nil
        var rows: [JSON] = []
        var lines: [String] = []
        for (id, plugin) in PrivacyPurge(host: runtime.host).purgeable() {
            for held in await plugin.personalData(cutoff: cutoff) {
                rows.append(["plugin": .string(id), "kind": .string(held.kind), "count": .number(held.count),
                             "oldest": held.oldest.map { .string(ValueParser.iso8601($0)) } ?? .null,
                             "purge_due": .number(held.purgeDue)])
                lines.append("\(id) \(held.kind): \(held.count)" + (held.oldest.map { ", oldest \(ValueParser.display($0))" } ?? "")
                             + (cutoff != nil ? ", \(held.purgeDue) due for purge" : ""))
            }
        }
        let next = days > 0 ? runtime.nextAutomaticPurge.withLock { $0 } : nil
        lines.append(days > 0
            ? "retain_days = \(days): the daily purge removes what is older than \(ValueParser.display(cutoff!))"
                + (next.map { ", next at \(ValueParser.display($0))" } ?? "")
            : "no [privacy] retain_days: personal data is kept until an admin runs privacy.purge")
        return Reply(data: ["rows": .array(rows), "retain_days": days > 0 ? .number(days) : .null,
                            "next_purge": next.map { .string(ValueParser.iso8601($0)) } ?? .null,
                            "cutoff": cutoff.map { .string(ValueParser.iso8601($0)) } ?? .null],
                     lines: lines, message: "\(rows.count) kinds of personal data")
    }
}

/// Purges personal data once a day under `[privacy] retain_days` (first a minute after start,
/// then every 24 hours of the host's clock, so tests drive it with a manual clock).
struct RetentionPolicy {
    let runtime: DaemonRuntime

    func run() async {
        let clock = runtime.host.clock
        var next = clock.now() + 60
        while !Task.isCancelled {
            let days = runtime.config.privacy.retainDays
            runtime.nextAutomaticPurge.withLock { $0 = days > 0 ? next : nil }
            do { try await clock.sleep(until: next) } catch { return }
            next = max(next, clock.now()) + 86_400
            // Read again: a reload may have changed it meanwhile.
            let retain = runtime.config.privacy.retainDays
            guard retain > 0 else { continue }
            await runtime.host.inZone {
                let before = PrivacyCommands.cutoff(now: clock.now(), retainDays: retain)
                do {
                    let outcome = try await PrivacyPurge(host: runtime.host).run(before: before, dryRun: false)
                    PrivacyCommands.log(outcome, before: before, by: "[privacy] retain_days = \(retain)", runtime.logger)
                } catch {
                    runtime.logger.error("the daily purge failed; it runs again tomorrow", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
