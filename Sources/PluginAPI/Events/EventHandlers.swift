/// How a plugin's state applies its journal records, declared once per event type and version:
///
/// ```swift
/// static let events = EventHandlers<RosterState>(
///     .on(ResidentsPut.self) { state, put, _ in … },
///     .on(LeaderAssign.self) { state, assign, _ in … }
/// )
/// mutating func apply(_ event: RecordedEvent) throws { try Self.events.apply(event, to: &self) }
/// ```
///
/// Each handler is keyed by its type's own ``StateEvent/eventType`` and
/// ``StateEvent/schemaVersion``: renaming a type changes both sides at once. An older payload
/// shape stays registered as its own `StateEvent` type with the old version. A record nobody
/// registered is an ``UnknownEventError``, never a silent skip.
public struct EventHandlers<State>: Sendable {
    private let table: [EventKey: EventHandler<State>]
    /// The registered (type, version) pairs, in declaration order.
    public let declared: [EventKey]
    /// Pairs registered more than once (the first wins): a plugin's own tests assert it is empty.
    public let duplicates: [EventKey]

    public init(_ handlers: EventHandler<State>...) { self.init(handlers) }

    public init(_ handlers: [EventHandler<State>]) {
        var table: [EventKey: EventHandler<State>] = [:]
        var declared: [EventKey] = []
        var duplicates: [EventKey] = []
        for handler in handlers {
            if table[handler.key] == nil {
                table[handler.key] = handler
                declared.append(handler.key)
            } else {
                duplicates.append(handler.key)
            }
        }
        self.table = table
        self.declared = declared
        self.duplicates = duplicates
    }

    /// Applies `event` to `state` with the handler registered for its type and version.
    ///
    /// - Throws: ``UnknownEventError`` when none is; what the handler or the payload's decoding throws.
    public func apply(_ event: RecordedEvent, to state: inout State) throws {
        guard let handler = table[EventKey(type: event.type, version: event.version)] else {
            throw UnknownEventError(plugin: event.plugin, type: event.type, version: event.version, seq: event.seq,
                                    known: declared)
        }
        try handler.apply(&state, event)
    }
}

/// An event type at one schema version.
public struct EventKey: Hashable, Sendable, CustomStringConvertible {
    public var type: String
    public var version: Int

    public init(type: String, version: Int) {
        self.type = type
        self.version = version
    }

    public var description: String { "\(type) v\(version)" }
}

/// The function that applies one event type (at one version) to a plugin's state.
public struct EventHandler<State>: Sendable {
    let key: EventKey
    let apply: @Sendable (inout State, RecordedEvent) throws -> Void

    /// Applies `E` (decoded from the record's payload) with `body`, which also sees the record
    /// (sequence number, time).
    public static func on<E: StateEvent>(
        _ type: E.Type, _ body: @escaping @Sendable (inout State, E, RecordedEvent) throws -> Void
    ) -> EventHandler<State> {
        EventHandler(key: EventKey(type: E.eventType, version: E.schemaVersion)) { state, record in
            try body(&state, try record.decode(E.self), record)
        }
    }
}

/// A journal record of a type or version the plugin does not register: start-up stops with
/// this (plus the file and offset the host adds) instead of skipping the record.
public struct UnknownEventError: Error, Sendable, CustomStringConvertible {
    public var plugin: String
    public var type: String
    public var version: Int
    public var seq: UInt64
    public var known: [EventKey]

    public var description: String {
        "plugin \(plugin) has no handler for event '\(type)' version \(version) (journal record seq \(seq)); it knows "
            + (known.isEmpty ? "no events" : known.map(\.description).joined(separator: ", "))
            + ". Was the journal written by a newer release? Run that release, or restore a backup it can read"
    }
}
