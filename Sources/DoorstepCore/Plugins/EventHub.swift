import Glibc
public import PluginAPI
import Synchronization

/// The daemon's event bus: plugins publish, plugins and connections subscribe.
///
/// Delivery happens under the hub's lock, so every subscriber sees events in `seq` order.
/// Subscribers are async streams; a subscriber that falls `backlog` events behind loses the
/// oldest ones rather than growing the daemon's memory without bound.
public final class EventHub: Sendable {
    struct Subscriber {
        var patterns: [String]
        let continuation: AsyncStream<Event>.Continuation
    }

    struct State {
        var seq: UInt64 = 0
        var nextID: UInt64 = 0
        var subscribers: [UInt64: Subscriber] = [:]
    }

    /// Events a slow subscriber may have queued.
    public static let backlog = 10_000
    private let state = Mutex(State())
    /// Stamps events.
    let clock: any WallClock
    /// Sees every event as it is published, under the hub's lock (in-process tests).
    let tap: (@Sendable (Event) -> Void)?

    public init(clock: any WallClock = SystemClock(), tap: (@Sendable (Event) -> Void)? = nil) {
        self.clock = clock
        self.tap = tap
    }

    /// Publishes `name` and returns its sequence number.
    @discardableResult
    public func publish(_ name: String, _ data: JSON) -> UInt64 {
        state.withLock { s in
            s.seq += 1
            let event = Event(name: name, seq: s.seq, time: clock.now(), data: data)
            tap?(event)
            for sub in s.subscribers.values where sub.patterns.contains(where: { EventPattern.matches($0, name) }) {
                sub.continuation.yield(event)
            }
            return s.seq
        }
    }

    /// The last sequence number handed out.
    public var lastSeq: UInt64 { state.withLock { $0.seq } }

    /// A new subscription with `patterns` (possibly none yet).
    public func subscribe(_ patterns: [String]) -> (id: UInt64, events: AsyncStream<Event>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(Self.backlog))
        let id = state.withLock { s in
            s.nextID += 1
            s.subscribers[s.nextID] = Subscriber(patterns: patterns, continuation: continuation)
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return (id, stream)
    }

    /// Replaces the patterns of subscription `id`.
    func setPatterns(_ id: UInt64, _ patterns: [String]) {
        state.withLock { $0.subscribers[id]?.patterns = patterns }
    }

    /// Ends subscription `id`.
    func remove(_ id: UInt64) {
        let sub = state.withLock { $0.subscribers.removeValue(forKey: id) }
        sub?.continuation.finish()
    }
}

/// One plugin's view of the hub: publishes only in its namespace; its subscriptions end when
/// the plugin stops.
final class PluginEventBus: EventBus {
    let pluginID: String
    let hub: EventHub
    private let owned = Mutex<[UInt64]>([])

    init(pluginID: String, hub: EventHub) {
        self.pluginID = pluginID
        self.hub = hub
    }

    func publish(_ name: String, _ data: JSON) throws(ControlError) -> UInt64 {
        guard name.hasPrefix(pluginID + "."), name.count > pluginID.count + 1 else {
            throw .internalError("plugin \(pluginID) may only publish events named \(pluginID).…, not '\(name)'")
        }
        return hub.publish(name, data)
    }

    func subscribe(_ patterns: [String]) -> AsyncStream<Event> {
        let (id, stream) = hub.subscribe(patterns)
        owned.withLock { $0.append(id) }
        return stream
    }

    /// Ends every subscription the plugin made.
    func close() {
        for id in owned.withLock({ ids in defer { ids = [] }; return ids }) { hub.remove(id) }
    }
}
