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
    /// The UTC bounds of a local calendar day: `date` (`YYYY-MM-DD`) or today.
    ///
    /// - Throws: ``ControlError`` `invalid_argument` for a malformed date.
    public static func localDay(_ date: String?, utcOffsetSeconds offset: Int64, now: Int64) throws(ControlError) -> (start: Int64, end: Int64) {
        let start: Int64
        if let date {
            guard date.count == 10, let t = time(date + "T00:00:00Z") else {
                throw .invalidArgument("argument 'date': expected YYYY-MM-DD, got '\(shown(date))'")
            }
            start = t - offset
        } else {
            let local = now + offset
            start = local - ((local % 86_400) + 86_400) % 86_400 - offset
        }
        return (start, start + 86_400)
    }
}
