import DoorstepProtocol

/// An event on the host's bus; connections see it after `subscribe`. Every event is committed:
/// it lives in the journal record of the change that announced it.
public struct Event: Sendable {
    /// Dotted name starting with the publishing plugin's id (`visits.need.opened`).
    public var name: String
    /// The journal sequence number of the record that announced it: increasing, stable across
    /// restarts, with gaps (records announce nothing or several events).
    public var seq: UInt64
    /// Wall-clock time of the record, seconds since the epoch.
    public var time: Int64
    /// The payload.
    public var data: JSON
    /// Its place among the events of the same record (a record may announce several).
    package var index: Int = 0

    public init(name: String, seq: UInt64, time: Int64, data: JSON) {
        self.name = name
        self.seq = seq
        self.time = time
        self.data = data
    }
}

/// The host's event bus, as a plugin sees it. Plugins cooperate through it instead of
/// importing each other.
public protocol EventBus: Sendable {
    /// Publishes an event that goes with no change of state: it is recorded in the journal on
    /// its own (so subscribers can replay it) and delivered once durable. An event about a
    /// change belongs in that change's record instead: ``StatefulPlugin/record(_:announcing:)``.
    /// A plugin may only publish names in its own namespace (`id.…`).
    ///
    /// - Returns: the event's sequence number.
    /// - Throws: ``ControlError`` `internal_error` for a name outside the namespace.
    @discardableResult
    func publish(_ name: String, _ data: JSON) throws(ControlError) -> UInt64

    /// Delivers every later event whose name matches one of `patterns` (`*` matches any run of
    /// characters). The stream ends when the subscriber's task is cancelled or the plugin stops.
    func subscribe(_ patterns: [String]) -> AsyncStream<Event>
}

/// Event-name patterns: `*` matches any run of characters, everything else itself.
public enum EventPattern {
    /// Whether `name` matches `pattern`.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.utf8), n = Array(name.utf8)
        var pi = 0, ni = 0, star = -1, mark = 0
        while ni < n.count {
            if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = ni
                pi += 1
            } else if pi < p.count, p[pi] == n[ni] {
                pi += 1
                ni += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ni = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }

    /// Why `pattern` is not a valid pattern, or nil.
    public static func problem(with pattern: String) -> String? {
        if pattern.isEmpty { return "empty pattern" }
        let ok = pattern.utf8.allSatisfy { Lexer.isKeyByte($0) || $0 == UInt8(ascii: "*") || ($0 >= 0x41 && $0 <= 0x5A) }
        return ok ? nil : "pattern '\(pattern)' may contain only letters, digits, '.', '-', '_' and '*'"
    }
}
