import Foundation
import Testing

/// Peers other than root, through `setpriv` (CI runs as root).
@Suite("Access control from peer credentials", .serialized)
struct AccessTests {
    static let canSwitchUser = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    /// Runs doorstepctl as nobody:nogroup, from a copy in the test's 0755 directory (the build
    /// folder may sit in a home directory nobody cannot enter).
    func asNobody(_ daemon: DaemonProcess, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let copy = daemon.dir.file("doorstepctl")
        if !FileManager.default.fileExists(atPath: copy) {
            try FileManager.default.copyItem(atPath: Binaries.doorstepctl, toPath: copy)
        }
        var result = (status: Int32(0), out: "", err: "")
        // A just-copied binary can be "busy" while a child spawned meanwhile still holds the
        // copy's write descriptor; try again briefly.
        for _ in 0..<20 {
            result = try DaemonProcess.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                                copy, "--socket", daemon.socket] + args)
            if !(result.status == 126 && result.err.contains("Text file busy")) { break }
            usleep(50_000)
        }
        return result
    }

    @Test(.enabled(if: canSwitchUser, "needs root and setpriv to connect as another user"))
    func socketIsCreated0660() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let attributes = try FileManager.default.attributesOfItem(atPath: daemon.socket)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        let refused = try asNobody(daemon, ["ping"])
        #expect(refused.status == 69, "nobody may not open a 0660 root socket: \(refused.err)")
        #expect(refused.err.contains("Permission denied"))
    }

    @Test(.enabled(if: canSwitchUser, "needs root and setpriv to connect as another user"))
    func viewerMayReadButNotReload() throws {
        let daemon = try DaemonProcess(config: """
            [daemon]
            socket_group = "nogroup"
            [access.users]
            nobody = "viewer"
            [plugins.probe]
            enabled = true
            """)
        defer { daemon.stop() }
        let hello = try asNobody(daemon, ["--json", "hello"])
        #expect(hello.status == 0)
        #expect(hello.out.contains(#""role":"viewer""#))
        #expect(hello.out.contains(#""uid":65534"#))
        let reload = try asNobody(daemon, ["reload"])
        #expect(reload.status == 1)
        #expect(reload.err.contains("403 forbidden: reload needs role admin; uid 65534 (nobody) has viewer"))
        let publish = try asNobody(daemon, ["probe.publish", "x"])
        #expect(publish.err.contains("403 forbidden: probe.publish needs role operator"))
        #expect(try asNobody(daemon, ["probe.echo", "看"]).out == "看\n")
        // Tab (doorstepctl's session and shell completion) offers what the role may run;
        // after `help` every name.
        #expect(try asNobody(daemon, ["__complete", "--", "probe.p"]).out == "")
        #expect(try asNobody(daemon, ["__complete", "--", "probe.e"]).out == "probe.echo\n")
        #expect(try asNobody(daemon, ["__complete", "--", "help", "probe.p"]).out == "probe.publish\n")
        #expect(daemon.stderr.contains("request refused"))
        #expect(daemon.stderr.contains("uid=65534"))
    }

    @Test(.enabled(if: canSwitchUser, "needs root and setpriv to connect as another user"))
    func peerWithoutRoleIsRefusedAtConnect() throws {
        let daemon = try DaemonProcess(config: "[daemon]\nsocket_group = \"nogroup\"\n")
        defer { daemon.stop() }
        let result = try asNobody(daemon, ["ping"])
        #expect(result.status == 1)
        #expect(result.err.contains("403 forbidden: uid 65534 (nobody) has no role on this daemon"))
        #expect(daemon.stderr.contains("connection refused: no role"))
        let json = try asNobody(daemon, ["--json", "ping"])
        #expect(json.status == 1, "a refusal is not mistaken for the hello reply")
        #expect(json.out.hasPrefix("403 forbidden"), "refusals precede hello, so they are text")
    }
}
