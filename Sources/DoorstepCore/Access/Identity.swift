import Glibc

/// Local user and group look-ups (NSS), by name or number.
enum Identity {
    /// The uid for a user name or a numeric string.
    static func userID(_ name: String) -> UInt32? {
        if let n = UInt32(name) { return n }
        guard let pw = getpwnam(name) else { return nil }
        return pw.pointee.pw_uid
    }

    /// The gid for a group name or a numeric string.
    static func groupID(_ name: String) -> UInt32? {
        if let n = UInt32(name) { return n }
        guard let gr = getgrnam(name) else { return nil }
        return gr.pointee.gr_gid
    }

    /// The user name of `uid`, if it has one (`getpwuid_r`: connections are identified
    /// concurrently).
    static func userName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return String(cString: entry.pw_name)
    }

    /// Every group `uid` belongs to: its primary group `gid` and its supplementary groups.
    static func groups(uid: UInt32, gid: UInt32) -> [UInt32] {
        guard let name = userName(uid) else { return [gid] }
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, gid, &list, &count) < 0 {
            list = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, gid, &list, &count)
        }
        return Array(Set([gid] + list.prefix(Int(max(count, 0)))))
    }
}
