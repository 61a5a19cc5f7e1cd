import Foundation
public import DoorstepValues

/// JSON for snapshots: sorted keys, so equal states give equal bytes.
public enum SnapshotJSON {
    /// `value` as snapshot bytes.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(value))
    }

    /// The value of `bytes`, or `empty` for no snapshot.
    public static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]?, empty: @autoclosure () -> T) throws -> T {
        guard let bytes else { return empty() }
        return try PayloadDecoder.decode(T.self, from: bytes)
    }
}

extension ValueParser {
    /// The bounds of a calendar day in the community's zone: `date` (`YYYY-MM-DD`) or the day
    /// `now` falls in (a day of daylight-saving change is 23 or 25 hours long).
    ///
    /// - Throws: ``ControlError`` `invalid_argument` for a malformed date.
    public static func localDay(_ date: String?, now: Int64) throws(ControlError) -> (start: Int64, end: Int64) {
        let zone = CommunityZone.current
        let day: Int64
        if let date {
            guard date.count == 10, let t = time(date + "T00:00:00Z") else {
                throw .invalidArgument("argument 'date': expected YYYY-MM-DD, got '\(shown(date))'")
            }
            day = t
        } else {
            let local = now + Int64(zone.offset(at: now))
            day = local - ((local % 86_400) + 86_400) % 86_400
        }
        return (zone.instant(ofLocal: day), zone.instant(ofLocal: day + 86_400))
    }
}
