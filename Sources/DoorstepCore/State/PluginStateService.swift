import Foundation
import PluginAPI
import Synchronization

/// Where plugins find the journal once the state store is open (plugins are created, and
/// configs validated, before it is).
final class JournalRef: Sendable {
    private let box = Mutex<Journal?>(nil)
    var journal: Journal? { box.withLock { $0 } }
    func set(_ journal: Journal?) { box.withLock { $0 = journal } }
}

/// One plugin's handle on the journal: JSON payloads, its own plugin id on every record.
final class PluginStateService: StateService {
    let pluginID: String
    let ref: JournalRef
    /// Stamps records (the host's clock: a manual one in tests).
    let clock: any WallClock
    init(pluginID: String, ref: JournalRef, clock: any WallClock = SystemClock()) {
        self.pluginID = pluginID
        self.ref = ref
        self.clock = clock
    }

    func prepare<E: StateEvent>(_ event: E) throws -> RecordedEvent {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = try encoder.encode(event)
        return RecordedEvent(seq: 0, time: clock.now(), plugin: pluginID, type: E.eventType,
                             version: E.schemaVersion, payload: Array(payload))
    }

    func commit(_ event: RecordedEvent, applying apply: (RecordedEvent) throws -> Void) throws -> Commit {
        guard let journal = ref.journal else { throw ControlError.unavailable("the state store is not open") }
        let entry = try journal.commit(event, applying: apply)
        return Commit(seq: entry.event.seq) { try await entry.wait() }
    }

    var lastSeq: UInt64 { ref.journal?.lastSeq ?? 0 }
}
