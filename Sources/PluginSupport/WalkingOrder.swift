/// The order a visitor walks a compound: building, unit, floor, room, numbers compared as
/// numbers (`3-2-501` before `3-10-101`; the floor is the room number / 100).
public enum WalkingOrder {
    /// A sort key for household id `B-U-R` (ids that are not three parts sort last).
    public static func key(_ id: String) -> [Int] {
        // Split on the '-' scalar: a part may begin with a combining mark.
        let parts = id.unicodeScalars.split(separator: "-").map { Int(String(String.UnicodeScalarView($0)).filter(\.isNumber)) ?? Int.max }
        guard parts.count == 3 else { return [Int.max] }
        return [parts[0], parts[1], parts[2] / 100, parts[2]]
    }

    /// The building of household id `B-U-R` (the whole id if it has no '-').
    public static func building(of id: String) -> String {
        // Split on the '-' scalar: a part may begin with a combining mark.
        id.unicodeScalars.split(separator: "-").first.map { String(String.UnicodeScalarView($0)) } ?? id
    }

    /// Whether building `a` comes before building `b` (3 before 10; names after numbers).
    public static func buildingPrecedes(_ a: String, _ b: String) -> Bool { (Int(a) ?? .max, a) < (Int(b) ?? .max, b) }

    /// Whether `a` comes before `b` on the walk (ties by the id's text).
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let (ka, kb) = (key(a), key(b))
        return ka == kb ? a < b : ka.lexicographicallyPrecedes(kb)
    }
}
