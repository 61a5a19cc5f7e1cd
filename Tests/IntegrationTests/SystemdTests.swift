import Foundation
import Testing

/// Signals, reloads and start-up errors, and stand-ins for systemd (a fake NOTIFY_SOCKET,
/// systemd-socket-activate): under a real systemd (Tests/system) the stand-ins are left out,
/// as the real service manager is checked there through systemctl and the journal.
@Suite("systemd integration and signals", .serialized)
struct SystemdTests {
    @Test(.disabled(if: SystemdUnit.enabled, "\(SystemdUnit.standIns)"))
    func notifyDatagramsAndWatchdog() throws {
        let daemon = try DaemonProcess(environment: ["WATCHDOG_USEC": "200000"])
        defer { daemon.stop() }
        let ready = try #require(daemon.notify.wait { $0.contains("READY=1") })
        #expect(ready.contains("STATUS=serving \(daemon.socket); plugins: "))
        #expect(ready.contains("probe"), "running plugins are named")
        #expect(daemon.notify.wait(timeout: 3) { $0 == "WATCHDOG=1" } != nil)
        usleep(600_000)
        #expect(daemon.notify.count { $0 == "WATCHDOG=1" } >= 4, "pings at half of WATCHDOG_USEC: \(daemon.notify.all)")
        daemon.signal(SIGHUP)
        let reloading = try #require(daemon.notify.wait { $0.contains("RELOADING=1") })
        let usec = reloading.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") }
        #expect(UInt64(usec?.dropFirst("MONOTONIC_USEC=".count) ?? "") ?? 0 > 0)
        for _ in 0..<200 where daemon.notify.count({ $0.contains("READY=1") }) < 2 { usleep(10_000) }
        #expect(daemon.notify.count { $0.contains("READY=1") } == 2, "READY=1 again after the reload")
        let order = daemon.notify.all.filter { !$0.hasPrefix("WATCHDOG") }
        #expect(order.firstIndex { $0.contains("RELOADING=1") }! < order.lastIndex { $0.contains("READY=1") }!)
        daemon.signal(SIGTERM)
        #expect(daemon.notify.wait { $0.contains("STOPPING=1") } != nil)
        #expect(daemon.waitExit() == 0)
    }

    /// `debug.hang` (issue 18): no such command until `[daemon] debug_hang = true`; then it
    /// blocks the event loop that pings, so no `WATCHDOG=1` is sent until it ends.
    /// (Tests/system sees the real watchdog kill and restart the daemon.)
    @Test(.disabled(if: SystemdUnit.enabled, "\(SystemdUnit.standIns)"))
    func debugHangIsAbsentUnlessEnabledAndStopsTheWatchdogPings() throws {
        let daemon = try DaemonProcess(environment: ["WATCHDOG_USEC": "400000"])
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("debug.hang").final.hasPrefix("405 unknown_command: unknown command 'debug.hang'"))
        #expect(!(try c.request("debug.hng").final.contains("debug.hang")), "not suggested either")
        #expect(!(try c.request("help").joined().contains("debug.hang")))
        daemon.rewriteConfig("[daemon]\ndebug_hang = true\n" + DaemonProcess.probeConfig)
        #expect(try c.request("reload").contains("200-daemon.debug_hang: false → true (debug.hang is offered to admins)"))
        #expect(try c.request("help debug.hang").contains("200-role: admin"))
        let reply = try c.request("debug.hang seconds=2")
        #expect(reply.contains("200-hanging the watchdog's event loop for 2 s"), "\(reply)")
        usleep(500_000)
        let before = daemon.notify.count { $0 == "WATCHDOG=1" }
        usleep(1_000_000)
        #expect(daemon.notify.count { $0 == "WATCHDOG=1" } == before, "no ping while the loop hangs")
        var resumed = false
        for _ in 0..<100 where !resumed {
            resumed = daemon.notify.count { $0 == "WATCHDOG=1" } > before
            usleep(50_000)
        }
        #expect(resumed, "pings resume once the hang ends")
        #expect(try c.request("ping") == ["200 pong"])
        #expect(daemon.stderr.contains("debug.hang: blocking the event loop that sends the watchdog pings for 2 s"))
        daemon.rewriteConfig(DaemonProcess.probeConfig)
        _ = try c.request("reload")
        #expect(try c.request("debug.hang").final.hasPrefix("405 unknown_command"), "gone again after a reload")
    }

    @Test(.disabled(if: SystemdUnit.enabled, "\(SystemdUnit.standIns)"))
    func sighupAppliesAValidConfigAndKeepsTheOldOnAnInvalidOne() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("probe.config").contains("200-greeting: 你好"))
        daemon.rewriteConfig("[plugins.probe]\nenabled = true\ngreeting = \"春天见\"\n")
        daemon.signal(SIGHUP)
        #expect(daemon.notify.wait { $0.contains("RELOADING=1") } != nil)
        var reply: [String] = []
        for _ in 0..<100 {
            reply = try c.request("probe.config")
            if reply.contains("200-greeting: 春天见") { break }
            usleep(50_000)
        }
        #expect(reply.contains("200-greeting: 春天见"))
        #expect(reply.contains("200-reloads:  1"), "reloaded in place: \(reply)")

        daemon.rewriteConfig("[plugins.probe]\nenabled = true\ngreeting = 42\n")
        daemon.signal(SIGHUP)
        var logged = false
        for _ in 0..<100 where !logged {
            logged = daemon.stderr.contains("reload refused: invalid config")
            usleep(50_000)
        }
        #expect(logged, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("greeting: expected a string, got an integer"))
        #expect(try c.request("probe.config").contains("200-greeting: 春天见"), "the old config keeps running")
        let viaCommand = try c.request("reload")
        #expect(viaCommand.final.hasPrefix("424 invalid_config: \(daemon.configPath):6:1: [plugins.probe] greeting: expected a string"))
        #expect(try c.request("ping") == ["200 pong"])
    }

    @Test func reloadCanDisableRestartAndEnablePlugins() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let c = try daemon.client()
        daemon.rewriteConfig("[daemon]\nidle_timeout = 60\n[plugins.probe]\nenabled = false\n")
        let off = try c.request("reload")
        #expect(off.contains("200-probe: stopped (disabled)"))
        #expect(off.contains("200-daemon.idle_timeout: 300 → 60 (new connections)"))
        #expect(try c.request("probe.echo x").final.hasPrefix("503 unavailable: plugin probe is disabled"))
        daemon.rewriteConfig("[plugins.probe]\nenabled = true\nreload_in_place = false\n")
        #expect(try c.request("reload").contains("200-probe: started"))
        daemon.rewriteConfig("[plugins.probe]\nenabled = true\nreload_in_place = false\ngreeting = \"再见\"\n")
        #expect(try c.request("reload").contains("200-probe: restarted"))
        #expect(try c.request("probe.config").contains("200-greeting: 再见"))
    }

    @Test func sigtermFinishesInFlightRequestsAndExitsZero() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let c = try daemon.client()
        try c.send("@slow probe.sleep ms=700\n@after ping\n")
        usleep(200_000)
        daemon.signal(SIGTERM)
        #expect(try c.readReply() == ["@slow 200 slept"])
        #expect(try c.readReply() == ["@after 200 pong"], "a request read before the signal is answered")
        #expect(daemon.waitExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socket), "the socket file is removed")
        #expect(daemon.stderr.contains("stopping"))
    }

    @Test func sigintAlsoStopsCleanly() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        daemon.signal(SIGINT)
        #expect(daemon.waitExit() == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-socket-activate")),
          .disabled(if: SystemdUnit.enabled, "\(SystemdUnit.standIns)"))
    func socketActivation() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let activated = dir.file("activated.sock")
        let daemon = try DaemonProcess(
            launcher: ["/usr/bin/systemd-socket-activate", "-l", activated, "--fdname=control", "-E", "NOTIFY_SOCKET"],
            waitReady: false)
        defer { daemon.stop() }
        var client: LineClient?
        for _ in 0..<200 where client == nil {
            client = try? LineClient(socket: activated)
            if client == nil { usleep(20_000) }
        }
        let c = try #require(client)
        #expect(try c.request("ping", timeout: 20) == ["200 pong"])
        #expect(daemon.notify.wait { $0.contains("READY=1") } != nil)
        #expect(!FileManager.default.fileExists(atPath: daemon.socket), "the configured path is not bound when activated")
        #expect(daemon.stderr.contains("using the socket passed by systemd"))
        let status = try c.request("status")
        #expect(status.contains { $0.hasPrefix("200-socket:") && $0.hasSuffix(activated) }, "status names the socket served")
    }

    @Test func staleSocketIsReplacedButALiveDaemonIsNot() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        // A socket file nobody listens on, as a crash leaves it.
        let stale = dir.file("stale.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un.make(stale)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        let first = try DaemonProcess(arguments: ["--socket", stale])
        defer { first.stop() }
        #expect(try LineClient(socket: stale).request("ping") == ["200 pong"])

        let second = try DaemonProcess(arguments: ["--socket", stale], waitReady: false)
        defer { second.stop() }
        #expect(second.waitExit() == 1)
        #expect(second.stderr.contains("another daemon is already serving \(stale)"))
        #expect(try LineClient(socket: stale).request("ping") == ["200 pong"], "the first daemon still serves")
    }

    @Test func refusesToReplaceANonSocket() throws {
        let daemon = try DaemonProcess(arguments: ["--socket", "/etc/hostname"], waitReady: false)
        defer { daemon.stop() }
        #expect(daemon.waitExit() == 1)
        #expect(daemon.stderr.contains("/etc/hostname exists and is not a socket"))
    }

    @Test func invalidConfigAtStartExitsOneWithPosition() throws {
        let daemon = try DaemonProcess(config: "[daemon]\nmax_connections = -1\n", waitReady: false)
        defer { daemon.stop() }
        #expect(daemon.waitExit() == 1)
        #expect(daemon.stderr.contains("\(daemon.configPath):4:1: max_connections: expected an integer from 1 to 65536, got -1"))
    }

    @Test func checkConfig() throws {
        let good = try DaemonProcess.run(Binaries.doorstepd, ["--check-config", "--config", Binaries.repositoryRoot + "/config/doorstep.toml"])
        #expect(good.status == 0)
        #expect(good.out.contains("config OK"))
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("bad.toml", "[plugins.probe]\nenabled = true\ngreting = \"x\"\n")
        let bad = try DaemonProcess.run(Binaries.doorstepd, ["--check-config", "--config", dir.file("bad.toml")])
        #expect(bad.status == 1)
        #expect(bad.err == "\(dir.file("bad.toml")):3:1: unknown key 'greting' in [plugins.probe]\n")
        let version = try DaemonProcess.run(Binaries.doorstepd, ["--version"])
        #expect(version.out == "doorstepd 0.1.0 (protocol 1)\n")
    }
}
