import Foundation

/// The one masking policy: what a viewer sees of a plugin's reply or event data, given the
/// plugin's ``SensitiveField``s (docs/protocol.md, "Privacy"). The host applies it to replies,
/// viewer subscriptions and hook payloads; plugins do not call it.
public struct PrivacyMask: Sendable {
    private let anywhere: [String: SensitiveField]
    private let underParent: [String: SensitiveField]

    /// A mask for these declarations (financial ones are shown, so they are left out).
    public init(_ fields: [SensitiveField]) {
        var anywhere: [String: SensitiveField] = [:]
        var underParent: [String: SensitiveField] = [:]
        for field in fields where field.sensitivity.maskedForViewers && !field.maskedByPlugin {
            if field.key.contains(".") { underParent[field.key] = field } else { anywhere[field.key] = field }
        }
        self.anywhere = anywhere
        self.underParent = underParent
    }

    /// Whether nothing is masked.
    public var isEmpty: Bool { anywhere.isEmpty && underParent.isEmpty }

    /// `data` with every personal and health field masked, and the texts that were masked
    /// (original → mask), so text lines and messages can be masked the same way.
    public func mask(_ data: JSON) -> (data: JSON, texts: [String: String]) {
        if isEmpty { return (data, [:]) }
        var texts: [String: String] = [:]
        let out = walk(data, parent: nil, texts: &texts)
        return (out, texts)
    }

    /// `text` with every masked original replaced by its mask, longest first (a name inside a
    /// sentence of a hand-made text line or message).
    public static func apply(_ texts: [String: String], to text: String) -> String {
        if texts.isEmpty { return text }
        var out = text
        for (original, masked) in texts.sorted(by: { $0.key.count > $1.key.count }) where out.contains(original) {
            out = out.replacingOccurrences(of: original, with: masked)
        }
        return out
    }

    private func field(_ key: String, parent: String?) -> SensitiveField? {
        if let parent, let f = underParent[parent + "." + key] { return f }
        return anywhere[key]
    }

    private func walk(_ value: JSON, parent: String?, texts: inout [String: String]) -> JSON {
        switch value {
        case .array(let items):
            return .array(items.map { walk($0, parent: parent, texts: &texts) })
        case .object(let pairs):
            return .object(pairs.map { key, v in
                guard let f = field(key, parent: parent) else { return (key, walk(v, parent: key, texts: &texts)) }
                if let consent = f.shownWith, pairs.contains(where: { $0.0 == consent && $0.1 == .bool(true) }) {
                    return (key, v)
                }
                return (key, Self.maskValue(v, texts: &texts))
            })
        default:
            return value
        }
    }

    /// A masked value: texts masked, lists element by element, numbers and booleans nulled.
    static func maskValue(_ value: JSON, texts: inout [String: String]) -> JSON {
        switch value {
        case .null: return .null
        case .string(let s):
            let m = maskText(s)
            // One- and two-character texts are not searched for in lines: they would mask
            // unrelated words (a name of two characters is masked in `data` all the same).
            if m != s, s.count >= 2 { texts[s] = m }
            return .string(m)
        case .array(let items): return .array(items.map { maskValue($0, texts: &texts) })
        case .object(let pairs): return .object(pairs.map { ($0.0, maskValue($0.1, texts: &texts)) })
        case .bool, .int, .double, .raw: return .null
        }
    }

    /// The mask of one text: a phone or ID number (7 digits or more, nothing but digits,
    /// spaces, `+` and `-`) keeps its first 3 and last 4 characters; a text a plugin already
    /// masked (holding `*`) stays; anything else is `***`.
    public static func maskText(_ s: String) -> String {
        if s.isEmpty || s.contains("*") { return s }
        let digits = s.filter(\.isASCII).filter(\.isNumber).count
        if digits >= 7, s.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == " " || $0 == "+" || $0 == "-" }), s.count >= 8 {
            return String(s.prefix(3)) + String(repeating: "*", count: s.count - 7) + String(s.suffix(4))
        }
        return "***"
    }
}

/// The host's masking of events, offered to plugins through ``PluginContext/services``: the
/// hooks service asks it for a hook without `personal = true`.
public protocol EventMasking: Sendable {
    /// `data` of the event `name` with the publishing plugin's personal and health fields masked.
    func masked(name: String, data: JSON) -> JSON
}
