public import PluginAPI

/// Typed looks into reply data, for assertions: nil (or an empty array) when the value is of
/// another kind.
extension JSON {
    public var int: Int? { if case .int(let v) = self { Int(v) } else { nil } }
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// A number as a `Double`, integers included.
    public var double: Double? {
        switch self {
        case .double(let d): d
        case .int(let i): Double(i)
        default: nil
        }
    }
    /// The elements of an array (empty for anything else).
    public var array: [JSON] { if case .array(let a) = self { a } else { [] } }
}
