/// What a caller may do; each command declares the role it needs (docs/protocol.md §6).
public enum Role: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// No access: the connection is refused.
    case none = 0
    /// Read.
    case viewer = 1
    /// Record and change.
    case `operator` = 2
    /// Reload, backups, purges.
    case admin = 3

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Parses `none`, `viewer`, `operator` or `admin`.
    public init?(name: String) {
        guard let role = Role.allCases.first(where: { $0.description == name }) else { return nil }
        self = role
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .viewer: return "viewer"
        case .operator: return "operator"
        case .admin: return "admin"
        }
    }
}
