import Foundation
import PluginSupport

/// A change a plugin records: a Codable payload with a type name and a schema version.
///
/// Bump ``schemaVersion`` when the payload's shape changes, and keep decoding the old
/// versions in ``StatefulPlugin/apply(_:)``: journals written by older releases replay forever.
public protocol StateEvent: Codable, Sendable {
    /// Type name, unique within the plugin (`need.opened`).
    static var eventType: String { get }
    /// Schema version of this payload shape (1, 2, …).
    static var schemaVersion: Int { get }
}

/// An event as stored in the journal.
public struct RecordedEvent: Sendable {
    /// Position in the daemon's journal (0 until committed).
    public var seq: UInt64
    /// Wall-clock time of recording, seconds since the epoch.
    public var time: Int64
    /// The recording plugin's id.
    public var plugin: String
    /// ``StateEvent/eventType`` of the payload.
    public var type: String
    /// ``StateEvent/schemaVersion`` the payload was written with.
    public var version: Int
    /// The payload, JSON-encoded.
    public var payload: [UInt8]
    /// Events the record announces, as a JSON array of `{"name":…,"data":…}` (empty: none).
    /// Stored in the same record, so an event exists exactly when its change does.
    package var announced: [UInt8] = []
    /// When a reaction recorded this: the sequence number of the event it reacted to (0: none).
    /// Replay reads the reacting plugin's cursor back from it.
    package var reaction: UInt64 = 0

    public init(seq: UInt64, time: Int64, plugin: String, type: String, version: Int, payload: [UInt8]) {
        self.seq = seq
        self.time = time
        self.plugin = plugin
        self.type = type
        self.version = version
        self.payload = payload
    }

    /// Decodes the payload as `type` (whichever version struct matches ``version``).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        // Replay decodes millions of these: read in place, without Foundation's document map.
        try PayloadDecoder.decode(T.self, from: payload)
    }

    /// Whether this is `E` at its current schema version.
    public func `is`<E: StateEvent>(_ type: E.Type) -> Bool { self.type == E.eventType && version == E.schemaVersion }
}

/// An event a plugin announces with a change (``StatefulPlugin/record(_:announcing:)``):
/// stored in the change's own journal record, so it is published exactly when the change is
/// durable, and replayed to reactions and `subscribe … from=SEQ` after any restart.
public struct Announcement: Sendable {
    /// Dotted name in the plugin's namespace (`visits.need.opened`).
    public var name: String
    /// The payload. Events reach viewers: keep personal free text out.
    public var data: JSON

    public init(_ name: String, _ data: JSON) {
        self.name = name
        self.data = data
    }
}

/// A committed event: ``durable()`` returns once it is on disk (group-committed with others).
public struct Commit: Sendable {
    public let seq: UInt64
    private let wait: @Sendable () async throws -> Void

    public init(seq: UInt64, wait: @escaping @Sendable () async throws -> Void) {
        self.seq = seq
        self.wait = wait
    }

    /// Waits until the event is durable (`fdatasync`ed).
    ///
    /// - Throws: ``ControlError`` `507 storage_full` or `500`/`503` when it could not be written;
    ///   the host then rebuilds the plugin's state from disk, so the change is gone everywhere.
    public func durable() async throws { try await wait() }
}

/// The daemon's journal as one plugin sees it.
public protocol StateService: Sendable {
    /// Encodes `event` for this plugin, with the events it announces (no side effects).
    ///
    /// - Throws: ``ControlError`` `internal_error` for an announcement outside the plugin's namespace.
    func prepare<E: StateEvent>(_ event: E, announcing: [Announcement]) throws -> RecordedEvent

    /// Appends a prepared event to the journal: assigns its sequence number, calls `apply` with
    /// the numbered event, and, if `apply` succeeds, queues it for the next group commit.
    ///
    /// Runs synchronously under the journal's lock, so journal order always equals apply order;
    /// `apply` must be quick and must not record again.
    /// - Throws: what `apply` throws (nothing is recorded then).
    func commit(_ event: RecordedEvent, applying apply: (RecordedEvent) throws -> Void) throws -> Commit

    /// The last sequence number handed out by the journal (for snapshots).
    var lastSeq: UInt64 { get }

    /// How far this plugin's reactions have consumed other plugins' events (for snapshots).
    var reactionCursor: UInt64 { get }
}

extension StateService {
    /// Encodes `event` for this plugin (no side effects).
    public func prepare<E: StateEvent>(_ event: E) throws -> RecordedEvent { try prepare(event, announcing: []) }
}

/// A plugin whose state lives in the journal: every change is a ``StateEvent`` recorded with
/// ``record(_:)``; at start the host restores the latest snapshot and applies the events after it.
///
/// ``apply(_:)`` must be deterministic and depend only on the state and the event: it runs
/// when an event is recorded and again on every replay.
public protocol StatefulPlugin: DoorstepPlugin, Actor {
    /// The state service from the context the plugin was created with.
    nonisolated var stateService: any StateService { get }

    /// Applies one event to the in-memory state.
    func apply(_ event: RecordedEvent) throws

    /// The whole in-memory state as bytes (any encoding the plugin chooses).
    func encodeSnapshot() throws -> [UInt8]

    /// Replaces the in-memory state with a snapshot, or with the empty state for nil.
    func restoreSnapshot(_ bytes: [UInt8]?) throws

    /// Replaces the state with a snapshot plus the events after it (after a failed write, the
    /// host rebuilds the plugin from disk). The default restores and applies in place; a plugin
    /// whose state is read outside its actor (immediate commands) should build the new state
    /// aside and swap it in with one assignment, so no reader sees it half rebuilt.
    func rebuild(snapshot: [UInt8]?, events: [RecordedEvent]) throws

    /// A hint at start-up: about `count` of this plugin's journal records are about to be
    /// applied (one segment's worth, some possibly already in the snapshot). A plugin that keeps
    /// a large table can size it once instead of growing it record by record. The default does nothing.
    func willReplay(count: Int)
}

extension StatefulPlugin {
    public func willReplay(count: Int) {}

    /// Records `event`: applies it and returns its sequence number once it is durable.
    ///
    /// Validate before calling: an event that `apply` rejects is not recorded. Encoding,
    /// applying and committing happen in one actor turn, so concurrent requests see and
    /// journal changes in the same order.
    ///
    /// `announcing` events go into the same journal record: subscribers and other plugins'
    /// reactions see them once the change is durable, never without it, and again after a
    /// restart when they had not consumed them yet.
    @discardableResult
    public func record<E: StateEvent>(_ event: E, announcing: [Announcement] = []) async throws -> UInt64 {
        let prepared = try stateService.prepare(event, announcing: announcing)
        let commit = try stateService.commit(prepared) { try apply($0) }
        try await commit.durable()
        return commit.seq
    }

    /// Applies a batch of replayed events in one actor turn.
    public func applyAll(_ events: [RecordedEvent]) throws {
        for event in events { try apply(event) }
    }

    /// The encoded state, the journal position it includes and the reaction cursor it
    /// matches, read in one actor turn.
    public func captureSnapshot() throws -> (bytes: [UInt8], covered: UInt64, cursor: UInt64) {
        (try encodeSnapshot(), stateService.lastSeq, stateService.reactionCursor)
    }

    /// Restores a snapshot and applies events after it, in one actor turn.
    public func rebuild(snapshot: [UInt8]?, events: [RecordedEvent]) throws {
        try restoreSnapshot(snapshot)
        for event in events { try apply(event) }
    }
}
