import Glibc
public import HooksInterface
public import PluginAPI
import PluginSupport
import Synchronization

/// The hooks service: runs outside commands when committed events match a `[[hooks]]` entry
/// (paging a gate key holder, calling a publisher), durably and without blocking anything.
///
/// Every committed event reaches ``react(to:)`` through the host's durable reactions (the
/// cursor of docs/plugins.md §7); an event that matches hooks becomes one `queued`
/// record, in the same journal record as the cursor's mark, so it is queued exactly once even
/// across a crash. ``run()`` starts due runs, at most `concurrency` at a time, each in its own
/// process group with a timeout; each attempt is recorded (`attempt`), with its exit status and
/// the first lines of its output, and a failed one is retried after `backoff` (doubling) up to
/// `retries` times. A run pending at a crash or a stop runs after the restart; a run whose
/// success was recorded never runs again. A success not yet recorded when the daemon dies is
/// run again: hooks run at least once, so they should be idempotent (an SMS gateway's own id).
public actor HooksPlugin: StatefulPlugin, HookRuns {
    public static let id = "hooks"
    public static let summary = "hooks: run commands when events are committed ([[hooks]] in the config)"

    public static let commands: [Command<HooksPlugin>] = [
        Command("hooks.list", summary: "the configured hooks, with their runs so far", role: .operator) { hooks, _ in
            await hooks.list()
        },
        Command("hooks.runs", summary: "the latest attempts, newest first (failed: only failures; pending: runs still to do)",
                role: .operator, arguments: [Args.which, Args.hook, Args.limit]) { hooks, request in
            await hooks.runs(which: try request[Args.which], hook: try request[Args.hook], limit: try request[Args.limit] ?? 50)
        },
    ]

    /// What became of the runs for an event (``HookRuns``), offered while the service runs.
    public static let offers: [ServiceOffer<HooksPlugin>] = [.offer((any HookRuns).self) { $0 }]

    /// Every committed event; ``react(to:)`` keeps those a hook wants.
    public static let reactions: [EventReaction<HooksPlugin>] = [
        .on("*") { hooks, event in try await hooks.react(to: event) },
    ]

    enum Args {
        static let which = Arg.optionalPositional("which", .choice(["failed", "pending"]), summary: "failed or pending")
        static let hook = Arg.named("hook", summary: "only this hook's runs")
        static let limit = Arg.named("limit", .int(min: 1, max: HooksState.recentLimit), summary: "at most this many (50)")
    }

    struct Settings: Sendable, Equatable {
        var hooks: [HookSpec]
        var concurrency: Int

        init(_ config: PluginConfig) throws(ConfigError) {
            concurrency = try config.int("concurrency", default: 4, range: 1...64)
            var hooks: [HookSpec] = []
            for (i, entry) in try config.tables("hooks").enumerated() {
                let spec = try HookSpec(entry, index: i)
                if hooks.contains(where: { $0.name == spec.name }) {
                    throw ConfigError(key: "hooks.\(i).name", "name: another hook is already called \(spec.name)")
                }
                hooks.append(spec)
            }
            self.hooks = hooks
        }
    }

    private var settings: Settings
    private var state = HooksState()
    private var inFlight: Set<UInt64> = []
    private let doorbell = Doorbell()
    /// The community's zone, as the host set it for the latest reaction: `{time}` and the
    /// event's time on standard input are shown in it (the runner itself runs outside any
    /// request, where the host sets no zone).
    private var zone = CommunityZone.current
    /// When each configured hook came to this instance (its start, or the reload that added
    /// it): for a hook not yet activated, events committed from then on are its own. (Taking
    /// the time a reaction first sees an event instead dropped that event whenever the reaction
    /// ran a second after the event was committed.)
    private var configuredAt: [String: Int64] = [:]
    let context: PluginContext

    public nonisolated var stateService: any StateService { context.state }

    public init(config: PluginConfig, context: PluginContext) throws {
        settings = try Settings(config)
        self.context = context
        let now = context.clock.now()
        for hook in settings.hooks { configuredAt[hook.name] = now }
    }

    /// New hooks apply to events committed from now on; runs already queued keep going (a run
    /// whose hook was removed is dropped when it comes due, and shown as such).
    public func reload(_ config: PluginConfig) async throws -> Bool {
        settings = try Settings(config)
        let now = context.clock.now()
        for hook in settings.hooks where configuredAt[hook.name] == nil { configuredAt[hook.name] = now }
        await activateNew()
        doorbell.ring()
        return true
    }

    /// Records when hooks not yet activated came (durably, so events committed after it run
    /// them even if the daemon dies before it reacts to them).
    private func activateNew() async {
        var fresh: [String: Int64] = [:]
        for hook in settings.hooks where state.activated[hook.name] == nil { fresh[hook.name] = configuredAt[hook.name] ?? context.clock.now() }
        guard !fresh.isEmpty else { return }
        do {
            try await record(HooksState.Activated(hooks: fresh))
        } catch {
            // Not recorded: the first event each of them sees activates it (as configured now).
            context.logger.warning("cannot record when new hooks were configured", metadata: ["error": "\(error)"])
        }
    }

    public func apply(_ event: RecordedEvent) throws { try state.apply(event) }

    public func encodeSnapshot() throws -> [UInt8] { try SnapshotJSON.encode(state) }

    public func restoreSnapshot(_ bytes: [UInt8]?) throws { state = try SnapshotJSON.decode(HooksState.self, bytes, empty: HooksState()) }

    public func status() async -> JSON {
        ["hooks": .number(settings.hooks.count), "pending": .number(state.pending.count), "running": .number(inFlight.count),
         "ok": .number(state.ok), "failed": .number(state.failed), "gave_up": .number(state.gaveUp)]
    }

    /// Queues a run of every hook that matches `event` (one journal record, carrying the
    /// reaction's mark), and wakes the runner.
    func react(to event: Event) async throws {
        zone = CommunityZone.current
        // A hook on hooks.failed runs for a hook's failure, never for its own: no chains.
        if event.name.hasPrefix(Self.id + "."), case .string(let source)? = event.data["event"], source.hasPrefix(Self.id + ".") {
            return
        }
        let matched = settings.hooks.filter { $0.matches(event.name) }.map(\.name)
        guard !matched.isEmpty else { return }
        let now = context.clock.now()
        var activate: [String: Int64] = [:]
        // Activated from when the hook was configured, not from when its first event is
        // handled: that can be a second later, and the event (the first page after a hook was
        // set up) was then taken for one from before the hook existed, and never run.
        for name in matched where state.activated[name] == nil { activate[name] = min(now, configuredAt[name] ?? now) }
        // Events from before a hook existed (a hook added to the config, the service enabled
        // for the first time) do not run it.
        let names = matched.filter { event.time >= (state.activated[$0] ?? activate[$0] ?? now) }
        // One record either way: it carries the reaction's mark.
        if !names.isEmpty {
            try await record(HooksState.Queued(hooks: names, event: HookEvent(event), activate: activate.isEmpty ? nil : activate))
            doorbell.ring()
        } else if !activate.isEmpty {
            try await record(HooksState.Activated(hooks: activate))
        }
    }

    /// Starts due runs while there is room, then sleeps until one is due, one ends, or a new
    /// one is queued; runs in flight are killed when the plugin stops (and stay pending).
    public func run() async throws {
        // The host starts run() in the community's zone; retries after a restart use it.
        zone = CommunityZone.current
        await activateNew()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let now = context.clock.now()
                let due = state.pending.values.filter { !inFlight.contains($0.id) && $0.nextAt <= now }
                    .sorted { ($0.nextAt, $0.id) < ($1.nextAt, $1.id) }
                for run in due.prefix(max(0, settings.concurrency - inFlight.count)) {
                    guard let spec = settings.hooks.first(where: { $0.name == run.hook && $0.matches(run.event.name) }) else {
                        await finish(run, spec: nil, HookProcess.Outcome(error: "hook \(run.hook) is no longer configured for \(run.event.name)", permanent: true),
                                     started: now)
                        continue
                    }
                    inFlight.insert(run.id)
                    let zone = self.zone
                    group.addTask { await CommunityZone.$current.withValue(zone) { await self.attempt(run, spec) } }
                }
                let waiting = state.pending.values.filter { !inFlight.contains($0.id) }.map(\.nextAt).min()
                await idle(until: inFlight.count < settings.concurrency ? waiting : nil)
            }
        }
    }

    /// Waits for the doorbell, or until `due` on the host's clock.
    private func idle(until due: Int64?) async {
        let clock = context.clock, doorbell = self.doorbell
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await doorbell.wait() }
            if let due { group.addTask { try? await clock.sleep(until: due) } }
            await group.next()
            group.cancelAll()
        }
    }

    /// One attempt of `run`, outside the actor; its end is recorded on it.
    private nonisolated func attempt(_ run: PendingRun, _ spec: HookSpec) async {
        let started = context.clock.now()
        var argv: [String] = []
        var outcome: HookProcess.Outcome
        // Without `personal = true` the command sees the event as a viewer would.
        let event = spec.personal ? run.event : run.event.masked(by: context.services.lookup((any EventMasking).self))
        do throws(HookTemplate.Missing) {
            for template in spec.argv { argv.append(try template.render(event, hook: spec.name)) }
            outcome = await HookProcess.run(argv, stdin: event.stdinLine, environment: HookProcess.environment(hook: spec.name, event: event),
                                            timeout: spec.timeout, as: spec.drop)
        } catch {
            // Retrying cannot fill in a field the event does not have.
            outcome = HookProcess.Outcome(error: "\(error)", permanent: true)
        }
        // Stopped while it ran: it stays pending, and runs again after the restart.
        if Task.isCancelled { await released(run.id); return }
        await finish(run, spec: spec, outcome, started: started)
    }

    private func released(_ id: UInt64) { inFlight.remove(id) }

    /// Records how an attempt ended (a retry's time, or done), announces failures, logs it.
    private func finish(_ run: PendingRun, spec: HookSpec?, _ outcome: HookProcess.Outcome, started: Int64) async {
        defer {
            inFlight.remove(run.id)
            doorbell.ring()
        }
        let attempt = run.attempts + 1
        let retry = !outcome.succeeded && !outcome.permanent && attempt <= (spec?.retries ?? 0)
        let nextAt = retry ? context.clock.now() + (spec?.delay(after: attempt) ?? .zero).components.seconds : nil
        let gaveUp = !outcome.succeeded && !retry
        var record = RunRecord(run: run.id, hook: run.hook, event: run.event.name, seq: run.event.seq, attempt: attempt,
                               outcome: outcome.outcome, exit: outcome.exit, signal: outcome.signal,
                               output: outcome.error.map { [$0] + outcome.output } ?? outcome.output, started: started, ms: outcome.ms,
                               gaveUp: gaveUp, nextAt: nextAt)
        if gaveUp { record.outcome += " gave up" }
        var announcing: [Announcement] = []
        var summary: [(String, JSON)] = [("hook", .string(run.hook)), ("event", .string(run.event.name)), ("seq", .number(Int(run.event.seq))),
                                          ("attempt", .number(attempt)), ("outcome", .string(outcome.outcome)),
                                          ("exit", outcome.exit.map { .number($0) } ?? .null)]
        // No output in the events (any viewer may subscribe, and a gateway's answer may hold a
        // phone number; hooks.runs, for operators, shows it), except for a hook that captures
        // it: its first line, for the plugin that must learn the outcome (a post's URL).
        if spec?.capture == true { summary.append(("output", .optional(outcome.error.map(HookProcess.clipped) ?? outcome.firstLine))) }
        if outcome.succeeded {
            if spec?.capture == true { announcing.append(Announcement("hooks.succeeded", .object(summary))) }
        } else {
            summary.append(("next_at", nextAt.map { .string(ValueParser.iso8601($0)) } ?? .null))
            announcing.append(Announcement("hooks.failed", .object(summary)))
            if gaveUp { announcing.append(Announcement("hooks.gave_up", .object(summary))) }
        }
        let level: Logger.Level = outcome.succeeded ? .info : (gaveUp ? .error : .warning)
        context.logger.log(level: level, "hook \(run.hook) \(record.outcome) for \(run.event.name) seq \(run.event.seq)", metadata: [
            "hook": "\(run.hook)", "hook_event": "\(run.event.name)", "hook_seq": "\(run.event.seq)", "hook_attempt": "\(attempt)",
            "hook_outcome": "\(record.outcome)", "hook_exit": "\(outcome.exit.map(String.init) ?? "")", "hook_ms": "\(outcome.ms)",
        ])
        do {
            try await self.record(HooksState.Attempted(record: record), announcing: announcing)
        } catch {
            // Not recorded (the disk is full, say): it stays pending and is tried again later.
            context.logger.error("cannot record a hook's attempt; it stays pending", metadata: ["hook": "\(run.hook)", "error": "\(error)"])
            if var again = state.pending[run.id] {
                again.nextAt = context.clock.now() + (spec?.backoff ?? .seconds(30)).components.seconds
                state.pending[run.id] = again
            }
        }
    }

    func list() -> Reply {
        let rows: [JSON] = settings.hooks.map { h in
            let mine = state.recent.filter { $0.hook == h.name }
            return ["name": .string(h.name), "on": .string(h.patterns.joined(separator: ",")),
                    "run": .string(h.argv.map(\.text).joined(separator: " ")), "timeout": .string(Self.shown(h.timeout)),
                    "retries": .number(h.retries), "pending": .number(state.pending.values.filter { $0.hook == h.name }.count),
                    "last": mine.last.map { .string("\($0.outcome) \(ValueParser.display($0.started))") } ?? .null]
        }
        return Reply(data: .array(rows), message: "\(settings.hooks.count) hooks, \(state.pending.count) runs pending")
    }

    /// `10s`, `1m`, `500ms`.
    static func shown(_ d: Duration) -> String {
        let (seconds, atto) = d.components
        if atto != 0 || seconds == 0 { return "\(seconds * 1000 + atto / 1_000_000_000_000_000)ms" }
        return seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds)s"
    }

    func runs(which: String?, hook: String?, limit: Int) -> Reply {
        if which == "pending" {
            let rows: [JSON] = state.pending.values.filter { hook == nil || $0.hook == hook }.sorted { $0.id < $1.id }.prefix(limit).map { r in
                ["run": .number(Int(r.id)), "hook": .string(r.hook), "event": .string(r.event.name), "seq": .number(Int(r.event.seq)),
                 "attempts": .number(r.attempts), "next": .string(ValueParser.iso8601(r.nextAt)), "last": .optional(r.lastError),
                 "running": .bool(inFlight.contains(r.id))]
            }
            return Reply(data: .array(rows), message: "\(rows.count) runs pending")
        }
        let picked = state.recent.reversed().filter { (which != "failed" || $0.outcome != "ok") && (hook == nil || $0.hook == hook) }.prefix(limit)
        let rows: [JSON] = picked.map { r in
            ["run": .number(Int(r.run)), "hook": .string(r.hook), "event": .string(r.event), "seq": .number(Int(r.seq)),
             "attempt": .number(r.attempt), "outcome": .string(r.outcome), "exit": r.exit.map { .number($0) } ?? .null,
             "started": .string(ValueParser.iso8601(r.started)), "ms": .number(r.ms), "output": .optional(r.output.first),
             "next": r.nextAt.map { .string(ValueParser.iso8601($0)) } ?? .null]
        }
        return Reply(data: .array(rows), message: "\(rows.count) attempts")
    }
}


extension HooksPlugin {
    public func runs(seqs: [UInt64]) async -> [HookRunSummary] {
        let wanted = Set(seqs)
        var out: [HookRunSummary] = []
        var covered = Set<String>()
        for run in state.pending.values.sorted(by: { $0.id < $1.id }) where wanted.contains(run.event.seq) {
            covered.insert("\(run.event.seq)/\(run.hook)")
            let last = state.recent.last { $0.run == run.id }
            out.append(HookRunSummary(hook: run.hook, event: run.event.name, seq: run.event.seq, attempts: run.attempts,
                                      outcome: inFlight.contains(run.id) ? "running" : "pending", exit: last?.exit,
                                      at: last?.started ?? run.event.time, nextAt: run.nextAt))
        }
        for record in state.recent.reversed() where wanted.contains(record.seq) {
            guard covered.insert("\(record.seq)/\(record.hook)").inserted else { continue }
            out.append(HookRunSummary(hook: record.hook, event: record.event, seq: record.seq, attempts: record.attempt,
                                      outcome: record.outcome, exit: record.exit, at: record.started, nextAt: record.nextAt))
        }
        return out.sorted { ($0.seq, $0.hook) < ($1.seq, $1.hook) }
    }
}
