import Foundation
import Synchronization
import Testing

/// Crash loops, kill -9 and immediate restarts, reloads: no collateral damage (issue 13).
extension IssueThirteenTests {
@Suite("Restarts and reloads without collateral damage", .serialized)
struct RestartTests {
    func daemon(_ state: String, _ extra: String = "") throws -> DaemonProcess {
        try DaemonProcess(config: "[daemon]\nstate_dir = \"\(state)\"\n\(extra)\n" + DaemonProcess.probeConfig)
    }

    /// `probe.set` of `count` keys, pipelined 100 at a time.
    func write(_ c: LineClient, _ count: Int, prefix: String, value: String = "值") throws {
        for start in stride(from: 0, to: count, by: 100) {
            let n = min(100, count - start)
            try c.send((start..<start + n).map { "probe.set \(prefix)-\($0) \(value)\n" }.joined())
            for _ in 0..<n { #expect(try c.readReply(timeout: 30).final.hasPrefix("200")) }
        }
    }

    /// What start-up replayed, from the "state recovered" log line.
    func replayed(_ d: DaemonProcess) -> Int? {
        guard let line = d.stderr.split(separator: "\n").first(where: { $0.contains("state recovered") }),
            let range = line.range(of: #"replayed=\d+"#, options: .regularExpression)
        else { return nil }
        return Int(line[range].dropFirst("replayed=".count))
    }

    @Test func thirtyCrashLoopLivesKeepStartUpBounded() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let threshold = 1000, perLife = 600
        var replays: [Int] = []
        for life in 0..<30 {
            let d = try daemon(dir.file("state"), "snapshot_every_events = \(threshold)")
            defer { d.signal(SIGKILL); _ = d.waitExit(); d.stop() }
            replays.append(try #require(replayed(d), "no recovery line: \(d.stderr)"))
            // A tail over the threshold is snapshotted soon after start (within a few seconds).
            let c = try d.client()
            let j = try d.client()
            _ = try j.requestJSON("hello format=json")
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                let status = try j.requestJSON("state.status")
                if let since = (status["data"] as? [String: Any])?["events_since_snapshot"] as? Int, since < threshold { break }
                usleep(50_000)
            }
            // Fewer writes than the threshold per life: without counting the replayed tail,
            // no life would ever snapshot, and every start would replay every life before it.
            try write(c, perLife, prefix: "life\(life)")
        }
        #expect(replays.max()! <= threshold + perLife, "replayed at each of 30 starts: \(replays)")
        #expect(replays.last! < 30 * perLife / 2)
    }

    /// What takes time after a kill -9 is the kernel tearing down the memory of the last
    /// thread, and the state lock is released only after that: a big daemon (here about
    /// 130 MiB resident: a 120 MB body being uploaded, which costs this debug build far less
    /// to rebuild at each start than 120 MB of state would) is killed, and a new one started
    /// at once, 50 times.
    @Test func fiftyKillsOfABigDaemonEachFollowedByAnImmediateStartAllSucceed() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let state = dir.file("state")
        let extra = "fsync = \"off\"\nmax_body_bytes = 134217728\nmax_buffered_body_bytes = 134217728"
        var d = try daemon(state, extra)
        try write(try d.client(), 10, prefix: "kept")
        let line = Array(String(repeating: "档", count: 21_000).utf8) + [0x0A]  // 63 KB
        let chunk = Array((0..<16).map { _ in line }.joined())  // 1 MB
        var failures: [String] = []
        var sizes: [Double] = []
        var waited = 0
        for round in 0..<50 {
            let upload = try d.client()
            try upload.send("probe.body <<END\n")
            for _ in 0..<120 { try upload.send(chunk) }
            _ = try d.client().request("ping")
            sizes.append(ResourceLimitTests.rssMiB(d.pid))
            d.signal(SIGKILL)
            // At once: not waiting for the old process to be gone.
            do {
                let next = try daemon(state, extra)
                #expect(try next.client().request("probe.get kept-9").first == "200-值")
                if next.stderr.contains("waiting for the state directory's lock") { waited += 1 }
                _ = d.waitExit()
                d.stop()
                d = next
            } catch {
                failures.append("round \(round): \(error)")
                _ = d.waitExit()
                d = try daemon(state, extra)
            }
        }
        d.stop()
        #expect(sizes.min()! > 120, "the daemon held \(sizes.min()!)–\(sizes.max()!) MiB when killed")
        #expect(failures.isEmpty, "\(failures.count) of 50 starts failed: \(failures.prefix(3))")
        print("50 kill -9 + immediate starts: \(waited) waited for the lock; RSS when killed \(sizes.min()!)–\(sizes.max()!) MiB")
    }

    @Test func aReloadThatChangesOnlySuppliesGivesNoOtherPluginA503() throws {
        let base = "[plugins.roster]\nenabled = true\n[plugins.visits]\nenabled = true\n"
        let d = try DaemonProcess(config: base + "[plugins.supplies]\nenabled = true\n" + DaemonProcess.probeConfig)
        defer { d.stop() }
        let setup = try d.client()
        #expect(try setup.request("roster.household.add 3-2-501").final.hasPrefix("200"))
        #expect(try setup.request("visits.campaign.start 敲门 deadline=\(Deadline.ahead)").final.hasPrefix("200"))
        let stop = Atomic<Bool>(false)
        let unavailable = Mutex<[String]>([])
        let written = Atomic<Int>(0)
        let socket = d.socket
        let writer = Thread {
            guard let c = try? LineClient(socket: socket) else { return }
            var i = 0
            while !stop.load(ordering: .relaxed) {
                i += 1
                let line = i % 2 == 0 ? "probe.set k\(i) v" : "visits.record 3-2-501 outcome=answered people=2"
                guard let reply = try? c.request(line, timeout: 30) else { break }
                if reply.final.hasPrefix("503") { unavailable.withLock { $0.append(reply.final) } }
                written.add(1, ordering: .relaxed)
            }
        }
        writer.start()
        for i in 0..<10 {
            d.rewriteConfig(base + "[plugins.supplies]\nenabled = \(i % 2 == 1)\n" + DaemonProcess.probeConfig)
            let reply = try d.ctl(["reload"])
            #expect(reply.status == 0, "\(reply.err)")
            #expect(!reply.out.contains("visits") && !reply.out.contains("probe") && !reply.out.contains("roster"),
                    "only supplies changes: \(reply.out)")
        }
        usleep(200_000)
        stop.store(true, ordering: .relaxed)
        while writer.isExecuting { usleep(10_000) }
        #expect(written.load(ordering: .relaxed) > 50)
        #expect(unavailable.withLock { $0 }.isEmpty, "writes refused during supplies reloads: \(unavailable.withLock { $0.prefix(3) })")
        #expect(!d.stderr.contains("after a failed write"), "no write failed, and the log must not say one did")
    }

    /// A plugin reloaded in place and then reverted to its first config gets the first one
    /// back (the comparison is with the config in effect, not the one it started with).
    @Test func revertingAConfigReloadedInPlaceIsApplied() throws {
        let d = try DaemonProcess(config: "[plugins.probe]\nenabled = true\ngreeting = \"早上好\"\n")
        defer { d.stop() }
        for greeting in ["晚上好", "早上好"] {
            d.rewriteConfig("[plugins.probe]\nenabled = true\ngreeting = \"\(greeting)\"\n")
            let reply = try d.ctl(["reload"])
            #expect(reply.out.contains("probe: reloaded in place"), "\(reply.out)")
            #expect(try d.client().request("probe.config").joined().contains(greeting))
        }
        d.rewriteConfig("[plugins.probe]\nenabled = true\ngreeting = \"早上好\"\n")
        #expect(!(try d.ctl(["reload"]).out.contains("probe")), "unchanged: left alone")
    }

    // MARK: 7. Bad values: a 4xx or a flag error naming the limit, nothing created

    @Test func backupIntoAPathWithANulByteIsRefusedAndCreatesNothing() throws {
        let d = try DaemonProcess()
        defer { d.stop() }
        let target = d.dir.file("a")
        let reply = try d.client().request("state.backup dir=\"\(target)\\0b\"")
        #expect(reply.final.hasPrefix("422 invalid_argument: dir: a directory path must be"), "\(reply)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func aSocketPathTooLongFailsTheConfigCheckNamingTheLimit() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let long = dir.file(String(repeating: "s", count: 120) + ".sock")
        let checked = try DaemonProcess.run(Binaries.doorstepd, ["--check-config", "--socket", long])
        #expect(checked.status != 0)
        #expect(checked.err.contains("--socket") && checked.err.contains("at most 107"), "\(checked.err)")
        let started = try DaemonProcess.run(Binaries.doorstepd, ["--socket", long, "--state-dir", dir.file("state")])
        #expect(started.status == 1)
        #expect(started.err.contains("at most 107"), "\(started.err)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("state")), "nothing created")
    }

    @Test func badTimeOffsetsAndSecondsAreRefusedNamingTheProblem() throws {
        let d = try DaemonProcess(config: "[plugins.roster]\nenabled = true\n[plugins.visits]\nenabled = true\n")
        defer { d.stop() }
        let c = try d.client()
        #expect(try c.request("roster.household.add 3-2-501").final.hasPrefix("200"))
        let cases = [
            ("2022-01-12T04:00+99:99", "offset +99:99 is out of range"),
            ("2022-01-12T04:00+25:00", "offset +25:00 is out of range"),
            ("2022-01-12T04:00+08:60", "offset +08:60 is out of range"),
            ("2022-01-12T04:00:60+08:00", "second 60 is not 00–59"),
            ("0999-01-12T04:00+08:00", "year 999 is before 1000"),
        ]
        for (time, problem) in cases {
            let reply = try c.request("visits.record 3-2-501 outcome=answered at=\(time)")
            #expect(reply.final.hasPrefix("422 invalid_argument: argument 'at': '\(time)' is not a time: \(problem)"), "\(reply)")
        }
    }
}
}
