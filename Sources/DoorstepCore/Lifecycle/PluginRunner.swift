import PluginAPI
import PluginSupport
public import ServiceLifecycle
import Synchronization

/// One running plugin as a service: runs the plugin's `run()` until it is stopped (reload,
/// disable, daemon stop) or the plugin ends it, and reports how it ended.
///
/// Runners run as child tasks of ``PluginSupervisor``, itself a service of the daemon's group,
/// so every plugin task is part of the structured lifecycle: nothing outlives the group.
final class PluginRunner: Service, Sendable {
    /// Where a runner is in its life.
    enum Phase: Sendable {
        /// Created; `run()` has not begun.
        case created
        /// In `run()`; ``stop()`` resumes the continuation.
        case running(stop: CheckedContinuation<Void, Never>?)
        /// Asked to stop before or while running.
        case stopping
        /// `run()` has returned.
        case finished
    }

    let id: String
    let plugin: any DoorstepPlugin
    /// The plugin's reaction loops, already subscribed (they run beside `run()`).
    let reactions: [@Sendable () async -> Void]
    private let phase = Mutex(Phase.created)
    private let finishWaiters = Mutex<[CheckedContinuation<Void, Never>]>([])
    private let onEnd: @Sendable (PluginHost.State) -> Void
    private let logger: Logger

    /// - Parameter onEnd: called once when `run()` ends by itself: `.stopped`, or `.failed` when it threw.
    /// The community's zone when `run()` starts (a plugin's background work shows times in it).
    let zone: @Sendable () -> CommunityZone

    init(id: String, plugin: any DoorstepPlugin, reactions: [@Sendable () async -> Void] = [], logger: Logger,
         zone: @escaping @Sendable () -> CommunityZone = { .system }, onEnd: @escaping @Sendable (PluginHost.State) -> Void) {
        self.zone = zone
        self.id = id
        self.plugin = plugin
        self.reactions = reactions
        self.logger = logger
        self.onEnd = onEnd
    }

    func run() async {
        let proceed = phase.withLock { p -> Bool in
            guard case .created = p else { return false }
            p = .running(stop: nil)
            return true
        }
        guard proceed else { return }
        let plugin = self.plugin
        /// How a child of the runner's group ended.
        enum Ended: Sendable {
            case run(PluginHost.State?)
            case stopRequested
            case reactionLoop
        }
        var askedToStop = false
        let outcome: PluginHost.State? = await withTaskGroup(of: Ended.self) { group in
            group.addTask {
                do {
                    try await CommunityZone.$current.withValue(self.zone()) { try await plugin.run() }
                    return .run(.stopped)
                } catch is CancellationError {
                    return .run(nil)
                } catch {
                    return .run(Task.isCancelled ? nil : .failed("\(error)"))
                }
            }
            group.addTask { [self] in
                // Cancelled with the service group (a fatal failure): stop as if asked.
                await withTaskCancellationHandler {
                    await waitForStop()
                } onCancel: {
                    signalStop()?.resume()
                }
                return .stopRequested
            }
            for loop in reactions {
                group.addTask {
                    await loop()
                    return .reactionLoop
                }
            }
            // A reaction loop ends only with its subscription; run() or a stop ends the plugin.
            var first: PluginHost.State?
            while let ended = await group.next() {
                if case .reactionLoop = ended { continue }
                if case .run(let state) = ended { first = state }
                break
            }
            // Read before cancelling: cancelling the stop waiter marks the runner stopping.
            askedToStop = isStopping
            group.cancelAll()
            // The plugin's run() and reaction handlers may still be finishing: wait for them.
            while await group.next() != nil {}
            return first
        }
        if let outcome, !askedToStop {
            if case .failed(let why) = outcome {
                logger.error("plugin failed", metadata: ["plugin.id": "\(id)", "error": "\(why)"])
            }
            onEnd(outcome)
        }
        finish()
    }

    private var isStopping: Bool {
        phase.withLock { if case .stopping = $0 { return true } else { return false } }
    }

    private func waitForStop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = phase.withLock { p -> Bool in
                switch p {
                case .running(stop: nil):
                    p = .running(stop: continuation)
                    return false
                default:
                    return true
                }
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func finish() {
        phase.withLock { $0 = .finished }
        for waiter in finishWaiters.withLock({ w in defer { w = [] }; return w }) { waiter.resume() }
    }

    /// Moves to `.stopping`; returns the continuation to resume, and whether `run()` is under way.
    @discardableResult
    private func signalStop() -> CheckedContinuation<Void, Never>? { markStopping().signal }

    private func markStopping() -> (signal: CheckedContinuation<Void, Never>?, running: Bool) {
        phase.withLock { p in
            switch p {
            case .created:
                // Never started: it never will (run() returns at once), and nobody waits.
                p = .finished
                return (nil, false)
            case .running(let stop):
                p = .stopping
                return (stop, true)
            case .stopping:
                return (nil, true)
            case .finished:
                return (nil, false)
            }
        }
    }

    /// Stops the plugin's `run()` (cancelling it) and waits until it has returned; a runner
    /// that never started just never will.
    func stop() async {
        let (signal, running) = markStopping()
        signal?.resume()
        guard running else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = phase.withLock { p -> Bool in
                if case .finished = p { return true }
                finishWaiters.withLock { $0.append(continuation) }
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// Runs every plugin's ``PluginRunner`` as a child task, for as long as the daemon runs; at a
/// graceful shutdown, once the control server has answered what it had (services stop in
/// reverse order), takes a last snapshot and stops the plugins, last registered first.
struct PluginSupervisor: Service {
    let host: PluginHost
    let store: StateStore

    func run() async throws {
        let host = self.host, store = self.store
        await withDiscardingTaskGroup { group in
            group.addTask {
                try? await gracefulShutdown()
                await host.persistentTimers.stopAll()
                // A snapshot on the way out keeps the next start-up short; not after a fatal
                // failure, when memory may hold changes that were answered "outcome unknown".
                if !host.fatal.isTriggered { _ = await store.snapshotAll(host.statefulPlugins()) }
                await host.stopAll()
                host.launches.finish()
            }
            for await runner in host.launches.stream {
                group.addTask { await runner.run() }
            }
        }
        store.close()
    }
}

/// Runners handed from the host to the supervisor.
struct Launches: Sendable {
    let stream: AsyncStream<PluginRunner>
    private let continuation: AsyncStream<PluginRunner>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream(of: PluginRunner.self) }

    func launch(_ runner: PluginRunner) { continuation.yield(runner) }
    func finish() { continuation.finish() }
}
