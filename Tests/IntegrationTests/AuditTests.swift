import Foundation
import Testing

/// The audit trail against the real daemon (docs/protocol.md §6, §8 "The audit trail"):
/// peers connect as other uids through ``LineClient/init(socket:uid:gid:)`` (root only).
@Suite("Audit trail", .serialized)
struct AuditTests {
    static let canSwitchUser = getuid() == 0

    /// nobody (65534) is an operator; every other uid a viewer; the socket's group is nogroup.
    static let config = """
        [daemon]
        socket_group = "nogroup"
        [access]
        default_role = "viewer"
        [access.users]
        nobody = "operator"
        [plugins.probe]
        enabled = true
        """
    static let viewerUID: UInt32 = 4242
    static let nogroup: UInt32 = 65534

    func json(_ client: LineClient, _ line: String) throws -> [String: Any] {
        try client.requestJSON(line)
    }

    /// The records of `audit.list ARGS`, asked as root (admin).
    func records(_ daemon: DaemonProcess, _ args: String) throws -> [[String: Any]] {
        let admin = try daemon.client()
        _ = try admin.requestJSON("hello format=json")
        let reply = try admin.requestJSON("audit.list " + args)
        #expect(reply["code"] as? Int == 200, "\(reply)")
        return ((reply["data"] as? [String: Any])?["records"] as? [[String: Any]]) ?? []
    }

    @Test(.enabled(if: canSwitchUser, "needs root to connect as other uids"))
    func anOperatorsChangeIsAuditedWithItsUidAndAViewerMayNotReadTheTrail() throws {
        let daemon = try DaemonProcess(config: Self.config)
        defer { daemon.stop() }
        let op = try LineClient(socket: daemon.socket, uid: 65534, gid: Self.nogroup)
        #expect(try op.request("probe.set k 王芳13812345678").final.hasPrefix("200"))
        #expect(try op.request("probe.set").final.hasPrefix("420"))
        let viewer = try LineClient(socket: daemon.socket, uid: Self.viewerUID, gid: Self.nogroup)
        #expect(try viewer.request("probe.set a 李四").final.hasPrefix("403"))
        let refused = try viewer.request("audit.list").final
        #expect(refused == "403 forbidden: audit.list needs role admin; uid 4242 (?) has viewer", "\(refused)")
        #expect(try op.request("audit.list user=4242").final.hasPrefix("403 forbidden: audit.list needs role admin; uid 65534 (nobody) has operator"))
        // A refused body is refused at its request line (and audited there, without waiting).
        #expect(try viewer.request("roster.import format=csv <<END\nbuilding,unit,room,name\n3,2,501,赵六\nEND").final.hasPrefix("403"))

        let mine = try records(daemon, "user=65534")
        let set = mine.first { $0["command"] as? String == "probe.set" && $0["code"] as? Int == 200 }
        #expect(set?["uid"] as? Int == 65534)
        #expect(set?["user"] as? String == "nobody")
        #expect(set?["role"] as? String == "operator")
        #expect(set?["kind"] as? String == "change")
        #expect(set?["plugin"] as? String == "probe")
        #expect((set?["args"] as? [String: Any])?["value"] as? String == "***", "a value is personal text")
        #expect(mine.contains { $0["command"] as? String == "probe.set" && $0["code"] as? Int == 420 && $0["error"] as? String == "missing_argument" })
        #expect(mine.contains { $0["command"] as? String == "audit.list" && $0["code"] as? Int == 403 })
        #expect(try records(daemon, "user=nobody").count == mine.count, "a user name is the same as its uid")

        let viewers = try records(daemon, "user=4242")
        #expect(viewers.contains { $0["command"] as? String == "probe.set" && $0["code"] as? Int == 403 && $0["role"] as? String == "viewer" })
        #expect(viewers.contains { $0["command"] as? String == "audit.list" && $0["code"] as? Int == 403 })
        // Not waited for: written by the next group commit.
        var imports: [[String: Any]] = []
        for _ in 0..<50 where imports.isEmpty {
            imports = try records(daemon, "user=4242 command=roster.import")
            if imports.isEmpty { usleep(20_000) }
        }
        #expect(imports.first?["code"] as? Int == 403)

        // Filters and bad input.
        #expect(try records(daemon, "command=probe.* plugin=probe").allSatisfy { ($0["command"] as? String)?.hasPrefix("probe.") == true })
        #expect(try records(daemon, "since=2000-01-01 limit=1").count == 1)
        let admin = try daemon.client()
        #expect(try admin.request("audit.list since=yesterday").final.hasPrefix("422 invalid_argument: argument 'since': 'yesterday' is not a time"))
        #expect(try admin.request("audit.list user=no-such-user-here").final.hasPrefix("422 invalid_argument: argument 'user': no user 'no-such-user-here'"))
        #expect(try admin.request("audit.list plugin=nope").final.hasPrefix("422 invalid_argument: argument 'plugin': unknown plugin 'nope'"))
        let page = try admin.request("audit.list since=2000-01-01 limit=2")
        #expect(page.final.contains("(more: audit.list after="), "\(page)")
        #expect(page.contains { $0.contains("probe.set") && $0.contains("nobody(65534)") }, "text lines: \(page)")

        // Personal text never reaches the trail, on disk or in journald's entries.
        let log = try Data(contentsOf: URL(fileURLWithPath: daemon.dir.file("state/audit/audit.log")))
        for text in ["王芳", "13812345678", "李四", "赵六"] {
            #expect(log.range(of: Data(text.utf8)) == nil, "\(text) is in the audit log")
            #expect(!daemon.stderr.contains(text), "\(text) is in the daemon's log")
        }
        #expect(daemon.stderr.contains("audit=1"), "each record also goes to the log as DOORSTEP_AUDIT=1")
        let mode = try FileManager.default.attributesOfItem(atPath: daemon.dir.file("state/audit/audit.log"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test(.enabled(if: canSwitchUser, "needs root to connect as other uids"))
    func operatorsReadsOfPersonalDataAreAuditedAndViewersMaskedReadsAreNot() throws {
        let daemon = try DaemonProcess(config: Self.config)
        defer { daemon.stop() }
        #expect(try daemon.client().request("roster.resident.add 3-2-501 name=王芳 phone=13812345678").final.hasPrefix("200"))
        let op = try LineClient(socket: daemon.socket, uid: 65534, gid: Self.nogroup)
        #expect(try op.request("roster.household 3-2-501").final.hasPrefix("200"))
        #expect(try op.request("roster.export format=csv").final.hasPrefix("200"))
        let viewer = try LineClient(socket: daemon.socket, uid: Self.viewerUID, gid: Self.nogroup)
        #expect(try viewer.request("roster.household 3-2-501").final.hasPrefix("200"))
        // roster.household is answered on the event loop: its record is not waited for.
        var reads: [[String: Any]] = []
        for _ in 0..<50 where reads.count < 2 {
            reads = try records(daemon, "command=roster.*")
            if reads.count < 2 { usleep(20_000) }
        }
        let household = reads.first { $0["command"] as? String == "roster.household" }
        #expect(household?["uid"] as? Int == 65534)
        #expect(household?["kind"] as? String == "read")
        #expect((household?["args"] as? [String: Any])?["household"] as? String == "3-2-501", "ids are kept")
        #expect(reads.contains { $0["command"] as? String == "roster.export" && $0["uid"] as? Int == 65534 })
        #expect(!reads.contains { $0["uid"] as? Int == Int(Self.viewerUID) }, "a viewer's read is masked, not audited")
        let adds = reads.filter { $0["command"] as? String == "roster.resident.add" }
        #expect(adds.count == 1 && (adds[0]["args"] as? [String: Any])?["name"] as? String == "***")
    }

    @Test func backupsAreWrittenPrivately() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        #expect(try daemon.client().request("probe.set k v").final.hasPrefix("200"))
        let old = umask(0o022)
        defer { umask(old) }
        let file = daemon.dir.file("backup.txt")
        let made = try daemon.ctl(["--output", file, "state.backup"])
        #expect(made.status == 0, "\(made.err)")
        #expect(made.out.isEmpty, "the data went into the file")
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
        #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("doorstep-backup 1 seq="))
        #expect(try FileManager.default.contentsOfDirectory(atPath: daemon.dir.path).allSatisfy { !$0.contains(".tmp-") })
        // Never over an existing file without --force; never into a device.
        let again = try daemon.ctl(["--output", file, "state.backup"])
        #expect(again.status == 73)
        #expect(again.err.contains("--output \(file): the file exists; give a new name, or --force to replace it"))
        chmod(file, 0o644)
        #expect(try daemon.ctl(["--output", file, "--force", "state.backup"]).status == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600, "--force narrows, never widens")
        let device = try daemon.ctl(["--output", "/dev/null", "state.backup"])
        #expect(device.status == 73 && device.err.contains("a terminal or device"))
        // A refused request leaves nothing.
        let failed = try daemon.ctl(["--output", daemon.dir.file("none.txt"), "state.backup", "dir="])
        #expect(failed.status == 1)
        #expect(!FileManager.default.fileExists(atPath: daemon.dir.file("none.txt")))
        #expect(failed.err.contains("nothing written to"))
        // Redirected by the shell: a warning with what to do.
        let shell = try DaemonProcess.run("/bin/sh", ["-c", "umask 022; exec \"$0\" --socket \"$1\" state.backup > \"$2\"",
                                                      Binaries.doorstepctl, daemon.socket, daemon.dir.file("shell.txt")])
        #expect(shell.status == 0)
        #expect(shell.err.contains("a file with mode 0644 that other users may read"), "\(shell.err)")
        #expect(shell.err.contains("--output FILE state.backup"))
        // Written by the daemon: directories 0700, files 0600.
        let dir = daemon.dir.file("bk")
        #expect(try daemon.ctl(["state.backup", "dir=\(dir)"]).status == 0)
        for d in [dir, dir + "/journal", dir + "/snapshots"] {
            #expect(try FileManager.default.attributesOfItem(atPath: d)[.posixPermissions] as? Int == 0o700, "\(d)")
        }
        for f in try FileManager.default.subpathsOfDirectory(atPath: dir) where !f.hasSuffix("journal") && !f.hasSuffix("snapshots") {
            #expect(try FileManager.default.attributesOfItem(atPath: dir + "/" + f)[.posixPermissions] as? Int == 0o600, "\(f)")
        }
    }
}
