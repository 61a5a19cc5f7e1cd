import Foundation

/// The community's time zone (`[daemon] timezone`, an IANA name): how times are shown, how a
/// time typed without an offset is read, and where a "day" begins.
///
/// The host sets ``current`` around every request, reaction and timer it runs, so plugins and
/// ``ValueParser`` read it without being handed it. Offsets come from the system's time zone
/// database (daylight saving included); a zone whose offset has not changed since 1995
/// (Asia/Shanghai) is answered without a lookup.
public struct CommunityZone: Sendable, Equatable, CustomStringConvertible {
    /// The IANA name (`Asia/Shanghai`, `UTC`).
    public let identifier: String
    private let zone: TimeZone
    /// The offset at every instant from `fixedFrom` on, when it does not change.
    private let fixed: Int?
    private static let fixedFrom: Int64 = 788_918_400  // 1995-01-01

    /// The zone named `identifier`; nil if the system does not know it.
    public init?(identifier: String) {
        guard !identifier.isEmpty, let zone = TimeZone(identifier: identifier) else { return nil }
        self.init(zone, identifier: identifier)
    }

    private init(_ zone: TimeZone, identifier: String) {
        self.identifier = identifier
        self.zone = zone
        let from = Date(timeIntervalSince1970: TimeInterval(Self.fixedFrom))
        self.fixed = zone.nextDaylightSavingTimeTransition(after: from) == nil ? zone.secondsFromGMT(for: from) : nil
    }

    public static func == (a: CommunityZone, b: CommunityZone) -> Bool { a.identifier == b.identifier }

    public var description: String { identifier }

    public static let utc = CommunityZone(TimeZone(identifier: "UTC")!, identifier: "UTC")

    /// The system's zone (`TZ`, `/etc/localtime`), else UTC.
    public static var system: CommunityZone {
        let current = TimeZone.current
        return CommunityZone(identifier: current.identifier) ?? .utc
    }

    /// The zone of the request, reaction or timer being run (the system's outside the host).
    @TaskLocal public static var current: CommunityZone = .system

    /// Seconds east of UTC at the instant `t` (Unix seconds).
    public func offset(at t: Int64) -> Int {
        if let fixed, t >= Self.fixedFrom { return fixed }
        return zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t)))
    }

    /// The instant of local wall-clock time `local` (seconds since 1970-01-01 00:00 read as if
    /// it were UTC). In a gap or fold of daylight saving, the offset before the change applies.
    public func instant(ofLocal local: Int64) -> Int64 {
        let guess = local - Int64(offset(at: local))
        return local - Int64(offset(at: guess))
    }

    /// Whether offsets are written `Z` (the zone is UTC itself).
    var isUTC: Bool { fixed == 0 && (identifier == "UTC" || identifier == "Etc/UTC" || identifier == "GMT") }
}
