import Foundation
import PluginAPI
import Synchronization

/// Where plugins find the journal once the state store is open (plugins are created, and
/// configs validated, before it is).
final class JournalRef: Sendable {
    private let box = Mutex<Journal?>(nil)
    var journal: Journal? { box.withLock { $0 } }
    func set(_ journal: Journal?) { box.withLock { $0 = journal } }
    /// Every plugin's reaction cursor, shared by the state services, the store and the runners.
    let cursors = ReactionCursors()
}

/// One plugin's handle on the journal: JSON payloads, its own plugin id on every record.
final class PluginStateService: StateService {
    let pluginID: String
    /// Where its announcements must be named (`reading` for `reading-promotion`; usually the id).
    let namespace: String
    let ref: JournalRef
    /// Stamps records (the host's clock: a manual one in tests).
    let clock: any WallClock
    init(pluginID: String, namespace: String? = nil, ref: JournalRef, clock: any WallClock = SystemClock()) {
        self.pluginID = pluginID
        self.namespace = namespace ?? pluginID
        self.ref = ref
        self.clock = clock
    }

    func prepare<E: StateEvent>(_ event: E, announcing: [Announcement]) throws -> RecordedEvent {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = try encoder.encode(event)
        var recorded = RecordedEvent(seq: 0, time: clock.now(), plugin: pluginID, type: E.eventType,
                                     version: E.schemaVersion, payload: Array(payload))
        var announcing = announcing
        if announcing.count < EventPosition.maxPerRecord, let change = ChangeScope.current?.claim(for: pluginID) {
            announcing.append(change)
        }
        recorded.announced = try Self.encode(announcing, of: pluginID, namespace: namespace)
        if let source = ReactionScope.source, source.plugin == pluginID { recorded.reaction = source.position }
        return recorded
    }

    /// The announced events as stored in a record: a JSON array of `{"name","data"}`.
    static func encode(_ announcements: [Announcement], of pluginID: String, namespace: String? = nil) throws(ControlError) -> [UInt8] {
        let space = namespace ?? pluginID
        guard !announcements.isEmpty else { return [] }
        guard announcements.count <= EventPosition.maxPerRecord else {
            throw .internalError("plugin \(pluginID) announces \(announcements.count) events with one change; at most \(EventPosition.maxPerRecord)")
        }
        for a in announcements where !(a.name.hasPrefix(space + ".") && a.name.count > space.count + 1) {
            throw .internalError("plugin \(pluginID) may only announce events named \(space).…, not '\(a.name)'")
        }
        return Array(JSON.array(announcements.map { ["name": .string($0.name), "data": $0.data] }).serialized.utf8)
    }

    func commit(_ event: RecordedEvent, applying apply: (RecordedEvent) throws -> Void) throws -> Commit {
        guard let journal = ref.journal else { throw ControlError.unavailable("the state store is not open") }
        let cursors = ref.cursors
        let entry = try journal.commit(event) { numbered in
            try apply(numbered)
            // In the same turn as the change: a snapshot sees both or neither.
            if numbered.reaction != 0 { cursors.advance(numbered.plugin, to: numbered.reaction) }
        }
        return Commit(seq: entry.event.seq) { try await entry.wait() }
    }

    var lastSeq: UInt64 { ref.journal?.lastSeq ?? 0 }

    var reactionCursor: UInt64 { ref.cursors.cursor(pluginID) ?? 0 }
}
