import Foundation
import Testing

/// Every command of `commands`, run as real system users, one per role (issue 19): the role a
/// command declares is enforced, `403` below it and never at or above it.
@Suite("Roles with real users and groups", .serialized)
struct RealUserRoleTests {
    /// The reads that show operators personal data (docs/protocol.md §6): audited for them.
    static let personalReads = [
        "roster.household", "roster.leaders", "roster.leader.for", "emergencies.show", "emergencies.gates",
        "emergencies.oncall", "emergencies.plans", "emergencies.plan", "supplies.requests", "supplies.request",
        "supplies.stock.moves", "supplies.ledger", "visits.needs", "visits.followups", "reading.event.show", "reading.invites",
    ]
    static let rank = ["viewer": 1, "operator": 2, "admin": 3]

    @Test(.enabled(if: TestAccounts.available, "needs root, useradd, groupadd and setpriv to create users (CI runs as root)"))
    func everyCommandEnforcesItsDeclaredRoleForRealUsers() throws {
        let accounts = TestAccounts()
        defer { accounts.remove() }
        let sock = try accounts.group("sock")
        let ops = try accounts.group("ops")
        // The viewer and the admin by user name, the operator through a group.
        let viewer = try accounts.user("v", primary: sock)
        let op = try accounts.user("o", primary: sock, groups: [ops])
        let admin = try accounts.user("a", primary: sock)
        let daemon = try DaemonProcess(config: """
            [daemon]
            socket_group = "\(sock)"
            [access]
            default_role = "none"
            [access.users]
            \(viewer) = "viewer"
            \(admin) = "admin"
            [access.groups]
            \(ops) = "operator"
            [plugins.probe]
            enabled = true
            """)
        defer { daemon.stop() }
        // A copy the users can run (the build folder may be out of their reach).
        let ctl = daemon.dir.file("doorstepctl")
        try FileManager.default.copyItem(atPath: Binaries.doorstepctl, toPath: ctl)
        chmod(ctl, 0o755)

        let listed = try daemon.ctl(["--json", "commands"])
        let entries = try #require(Self.objects(listed.out).last?["data"] as? [[String: Any]])
        let declared = Dictionary(uniqueKeysWithValues: entries.compactMap { e -> (String, String)? in
            guard let name = e["name"] as? String, let role = e["role"] as? String else { return nil }
            return (name, role)
        })
        #expect(declared.count == entries.count, "every command in `commands` shows its role")
        #expect(declared.values.allSatisfy { Self.rank[$0] != nil }, "roles are viewer, operator or admin")
        #expect(declared.count > 80, "plugins' commands are listed too: \(declared.count)")
        for name in Self.personalReads { #expect(declared[name] != nil, "\(name) exists") }

        // `quit` last: it closes the connection.
        let names = declared.keys.sorted().filter { $0 != "quit" } + ["quit"]
        let script = names.enumerated().map { "@t\($0.offset) \($0.element)\n" }.joined()
        for (user, role) in [(viewer, "viewer"), (op, "operator"), (admin, "admin")] {
            let hello = try accounts.run(as: user, [ctl, "--socket", daemon.socket, "--json", "hello"], stdin: "")
            #expect((Self.objects(hello.out).last?["data"] as? [String: Any])?["role"] as? String == role, "\(user): \(hello)")
            let result = try accounts.run(as: user, [ctl, "--socket", daemon.socket, "--json", "--timeout", "60"], stdin: script)
            var replies: [String: [String: Any]] = [:]
            for object in Self.objects(result.out) { if let tag = object["tag"] as? String { replies[tag] = object } }
            #expect(replies.count == names.count, "\(user) got a reply to every command: \(result.err)")
            for (i, name) in names.enumerated() {
                guard let reply = replies["t\(i)"], let code = reply["code"] as? Int, let needed = declared[name] else {
                    Issue.record("\(role) \(user): no reply to \(name)")
                    continue
                }
                if Self.rank[role]! < Self.rank[needed]! {
                    #expect(code == 403, "\(name) needs \(needed): \(role) must get 403, got \(code) \(reply["message"] ?? "")")
                    #expect((reply["message"] as? String)?.contains("\(name) needs role \(needed);") == true)
                } else {
                    #expect(code != 403, "\(name) needs \(needed): \(role) may run it, got \(reply["message"] ?? "")")
                }
            }
        }

        // The trail of the walk: the operator's personal reads, the viewer's refusals.
        let uidOf = { (name: String) in String(getpwnam(name)!.pointee.pw_uid) }
        let opTrail = Set(try Self.trail(daemon, "user=\(op)").map { $0["command"] as? String ?? "" })
        for name in Self.personalReads { #expect(opTrail.contains(name), "the operator's \(name) is audited") }
        let viewerTrail = try Self.trail(daemon, "user=\(uidOf(viewer))")
        let refused = Set(viewerTrail.filter { $0["code"] as? Int == 403 }.map { $0["command"] as? String ?? "" })
        for (name, role) in declared where role != "viewer" { #expect(refused.contains(name), "the viewer's refused \(name) is audited") }
        #expect(viewerTrail.allSatisfy { $0["code"] as? Int == 403 }, "a viewer's own reads are not audited")
    }

    /// Every record of `audit.list ARGS`, page by page.
    static func trail(_ daemon: DaemonProcess, _ args: String) throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var after = 0
        while true {
            let r = try daemon.ctl(["--json", "audit.list", "since=2000-01-01", "after=\(after)", "limit=500"] + args.split(separator: " ").map(String.init))
            let data = try #require(objects(r.out).last?["data"] as? [String: Any], "\(r)")
            out += data["records"] as? [[String: Any]] ?? []
            guard let next = data["next"] as? Int else { return out }
            after = next
        }
    }

    static func objects(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
