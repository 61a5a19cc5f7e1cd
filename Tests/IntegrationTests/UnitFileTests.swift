import Foundation
import Testing

/// Under a real systemd, Tests/system verifies the installed units and reads the real journal.
@Suite("systemd unit files and journald", .serialized, .disabled(if: SystemdUnit.enabled, "\(SystemdUnit.standIns)"))
struct UnitFileTests {
    static let isRoot = getuid() == 0

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func unitsVerifyCleanlyAndAreSandboxed() throws {
        let r = try DaemonProcess.run("/bin/bash", [Binaries.repositoryRoot + "/scripts/verify-units.sh", Binaries.doorstepd])
        #expect(r.status == 0, "\(r.out)\(r.err)")
        #expect(r.out.contains("verify: doorstep.service + doorstep.socket: no output"))
        #expect(r.out.contains("verify: doorstep-ship.service: no output"))
        #expect(r.out.contains("verify-units: OK"))
    }

    /// Logs reach journald's native socket with structured fields when stderr is the journal
    /// stream: a private mount namespace puts a listener at /run/systemd/journal/socket.
    @Test(.enabled(if: isRoot && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/socat")))
    func structuredJournalLogging() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("d.toml", "[daemon]\nsocket = \"\(dir.file("d.sock"))\"\nstate_dir = \"\(dir.file("state"))\"\n")
        let script = """
            set -e
            mkdir -p /run/systemd
            mount -t tmpfs tmpfs /run/systemd
            mkdir -p /run/systemd/journal
            socat -u UNIX-RECV:/run/systemd/journal/socket CREATE:\(dir.file("journal.bin")) </dev/null >/dev/null 2>&1 &
            listener=$!
            for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
            : > \(dir.file("stderr.log"))
            JOURNAL_STREAM=$(stat -L -c '%d:%i' \(dir.file("stderr.log"))) \\
              \(Binaries.doorstepd) --config \(dir.file("d.toml")) 2>>\(dir.file("stderr.log")) &
            daemon=$!
            for i in $(seq 200); do [ -S \(dir.file("d.sock")) ] && break; sleep 0.05; done
            \(Binaries.doorstepctl) --socket \(dir.file("d.sock")) reload >/dev/null
            kill -TERM $daemon; wait $daemon
            sleep 0.2
            # socat blocked in recvfrom does not always honour SIGTERM.
            kill -9 $listener
            """
        let r = try DaemonProcess.run("/usr/bin/timeout", ["60", "/usr/bin/unshare", "-m", "/bin/bash", "-c", script])
        #expect(r.status == 0, "\(r.err)")
        let journal = try String(contentsOfFile: dir.file("journal.bin"), encoding: .utf8)
        #expect(journal.contains("MESSAGE=serving\n"))
        #expect(journal.contains("PRIORITY=6\n"))
        #expect(journal.contains("SYSLOG_IDENTIFIER=doorstepd\n"))
        #expect(journal.contains("MESSAGE_ID=5d6a1c7e0f3b4c2a9e8d7f6b5a4c3d21\n"))
        #expect(journal.contains("DOORSTEP_SOCKET=\(dir.file("d.sock"))\n"))
        #expect(journal.contains("MESSAGE=reloading config\n"))
        #expect(journal.contains("CODE_FILE="))
        let stderr = try String(contentsOfFile: dir.file("stderr.log"), encoding: .utf8)
        #expect(!stderr.contains("serving"), "logs went to the journal, not stderr: \(stderr)")
    }
}
