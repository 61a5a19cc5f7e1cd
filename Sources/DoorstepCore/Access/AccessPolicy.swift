public import PluginAPI

/// Decides a peer's role from its uid and groups (docs/protocol.md §6).
///
/// Root and the daemon's own user are always admin; otherwise the highest role among the
/// user's entry and its groups' entries wins, and `default_role` applies when none matches.
public struct AccessPolicy: Sendable {
    let userRoles: [UInt32: Role]
    let groupRoles: [UInt32: Role]
    let defaultRole: Role
    let daemonUID: UInt32

    /// Resolves the names in `config` (they were checked when the config was loaded).
    public init(config: AccessConfig, daemonUID: UInt32) {
        var users: [UInt32: Role] = [:]
        for (name, role) in config.users { if let uid = Identity.userID(name) { users[uid] = role } }
        var groups: [UInt32: Role] = [:]
        for (name, role) in config.groups { if let gid = Identity.groupID(name) { groups[gid] = role } }
        self.init(userRoles: users, groupRoles: groups, defaultRole: config.defaultRole, daemonUID: daemonUID)
    }

    /// A policy from resolved ids, for tests and for ``init(config:daemonUID:)``.
    public init(userRoles: [UInt32: Role], groupRoles: [UInt32: Role], defaultRole: Role, daemonUID: UInt32) {
        self.userRoles = userRoles
        self.groupRoles = groupRoles
        self.defaultRole = defaultRole
        self.daemonUID = daemonUID
    }

    /// The role of a peer with `uid` belonging to `groups`.
    public func role(uid: UInt32, groups: [UInt32]) -> Role {
        if uid == 0 || uid == daemonUID { return .admin }
        var matched: Role?
        if let r = userRoles[uid] { matched = r }
        for gid in groups {
            if let r = groupRoles[gid] { matched = max(matched ?? .none, r) }
        }
        return matched ?? defaultRole
    }

    /// The role of a connected peer, looking up its supplementary groups.
    public func role(uid: UInt32, gid: UInt32) -> Role {
        role(uid: uid, groups: Identity.groups(uid: uid, gid: gid))
    }
}
