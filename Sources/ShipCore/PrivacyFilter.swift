public import DoorstepValues

/// What of an event's data may leave the community (`[ship] personal`).
///
/// Plugins publish events without names, phones or notes (any viewer may subscribe), but some
/// carry free text (a generated note, a hook's failure, a URL) and a plugin may add fields
/// later. So by default only what the district counts goes out: numbers, booleans, nulls, and
/// strings under the keys of ``allowedKeys`` (ids, kinds, statuses, times); every other string
/// is withheld, and so is any string that looks like a phone number (7 digits in a row) even
/// under an allowed key. The withheld paths are shipped beside the data (`withheld`), so the
/// district sees what it did not get. `personal = true` ships the data exactly as published.
public struct PrivacyFilter: Sendable {
    public let personal: Bool

    public init(personal: Bool) { self.personal = personal }

    /// Keys whose string values are identifiers, categories, states or times, never free text.
    /// A key not listed here has its strings withheld: a new plugin's fields stay at home until
    /// they are reviewed and added.
    public static let allowedKeys: Set<String> = [
        // ids and where
        "id", "household", "households", "building", "buildings", "campaign", "campaigns", "also",
        "need", "request", "incident", "post", "event", "series", "registration", "entry", "run",
        // kinds and states
        "category", "kind", "outcome", "status", "priority", "channel", "hook", "unit",
        // times
        "at", "time", "deadline", "opened", "started", "next_at",
    ]

    /// Seven digits in a row: a phone number (mobile 11, landline 7–8), an ID number; no
    /// household id or room number has that many.
    static func looksLikeNumber(_ s: String) -> Bool {
        var run = 0
        for b in s.utf8 {
            if b >= 0x30 && b <= 0x39 {
                run += 1
                if run >= 7 { return true }
            } else {
                run = 0
            }
        }
        return false
    }

    /// The data to ship, and the paths withheld (`note`, `households[].name`).
    public func filter(_ data: JSON) -> (data: JSON, withheld: [String]) {
        if personal { return (data, []) }
        var withheld: [String] = []
        let out = filter(data, key: nil, path: "", withheld: &withheld)
        var seen = Set<String>()
        return (out ?? .null, withheld.filter { seen.insert($0).inserted })
    }

    /// nil when the value is withheld as a whole.
    private func filter(_ value: JSON, key: String?, path: String, withheld: inout [String]) -> JSON? {
        switch value {
        case .null, .bool, .int, .double:
            return value
        case .string(let s):
            guard let key, Self.allowedKeys.contains(key), !Self.looksLikeNumber(s) else {
                withheld.append(path.isEmpty ? "." : path)
                return nil
            }
            return value
        case .raw:
            // Never produced by parsing; withheld rather than shipped unread.
            withheld.append(path.isEmpty ? "." : path)
            return nil
        case .array(let items):
            // Elements inherit the array's key (`buildings: ["3", "4"]`).
            return .array(items.compactMap { filter($0, key: key, path: path + "[]", withheld: &withheld) })
        case .object(let fields):
            return .object(fields.compactMap { k, v in
                filter(v, key: k, path: path.isEmpty ? k : path + "." + k, withheld: &withheld).map { (k, $0) }
            })
        }
    }
}
