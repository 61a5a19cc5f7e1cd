import PluginAPI

/// One `audit.list` question: filters and a page, answered from the file through
/// ``AuditReader``'s window, keeping at most `limit` records (docs/protocol.md §8).
struct AuditQuery: Sendable {
    /// Unix seconds: records at or after.
    var since: Int64?
    var uid: UInt32?
    var plugin: String?
    /// A command name or a pattern with `*`.
    var command: String?
    /// Records with a larger id only.
    var after: UInt64?
    var limit = 100

    static let maxLimit = 10_000

    func matches(_ r: AuditRecord) -> Bool {
        if let after, r.id <= after { return false }
        if let since, r.timeMillis < since * 1000 { return false }
        if let uid, r.uid != uid { return false }
        if let plugin, r.plugin != plugin { return false }
        if let command, !EventPattern.matches(command, r.command) { return false }
        return true
    }

    /// The records asked for, oldest first, and the `after=` of the next page (nil: none).
    ///
    /// With `since` or `after`: the first `limit` matches from there. With neither: the last
    /// `limit` (a ring of `limit` records, whatever the file's size).
    func run(on log: AuditLog) throws -> (records: [AuditRecord], next: UInt64?) {
        let end = log.writtenEnd
        guard FileSystem.exists(log.path) else { return ([], nil) }
        if since == nil, after == nil {
            var ring: [AuditRecord] = []
            ring.reserveCapacity(min(limit, 1024))
            var head = 0
            try AuditReader.records(in: log.path, end: end) { r in
                guard matches(r) else { return true }
                if ring.count < limit { ring.append(r) } else {
                    ring[head] = r
                    head = (head + 1) % limit
                }
                return true
            }
            return (Array(ring[head...] + ring[..<head]), nil)
        }
        var found: [AuditRecord] = []
        var more = false
        try AuditReader.records(in: log.path, end: end) { r in
            guard matches(r) else { return true }
            guard found.count < limit else {
                more = true
                return false
            }
            found.append(r)
            return true
        }
        return (found, more ? found.last?.id : nil)
    }
}
