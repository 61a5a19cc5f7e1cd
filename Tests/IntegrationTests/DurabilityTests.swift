import Foundation
import Synchronization
import Testing

/// Tries hard to lose acknowledged data: kills at every journal write and sync, tears and
/// corrupts the journal, fills the disk, fails fsync, cuts the power, backs up under load.
@Suite("Durability", .serialized)
struct DurabilityTests {
    static let isRoot = getuid() == 0
    static let hasStrace = FileManager.default.isExecutableFile(atPath: "/usr/bin/strace")
    static let segment = "journal/00000000000000000001.seg"

    /// A daemon on `stateDir` (kept across restarts), optionally under strace.
    func start(_ dir: TempDirectory, stateDir: String, strace: [String] = [], extra: String = "", waitReady: Bool = true) throws
        -> DaemonProcess
    {
        let config = "[daemon]\nstate_dir = \"\(stateDir)\"\n\(extra)\n" + DaemonProcess.probeConfig
        if strace.isEmpty { return try DaemonProcess(config: config, waitReady: waitReady) }
        return try DaemonProcess(config: config, launcher: ["/usr/bin/strace", "-f", "-qq", "-o", "/dev/null"] + strace + ["--"],
                                 waitReady: waitReady)
    }

    /// Kills at the 1st, 2nd, … matching call until a run survives them all (or `limit` runs);
    /// returns how many runs were killed.
    func crashesUntilARunSurvives(_ injection: String, upTo limit: Int) throws -> Int {
        let dir = TempDirectory()
        defer { dir.remove() }
        var crashes = 0
        while crashes < limit, try crashAt(injection, crashes + 1, dir) { crashes += 1 }
        return crashes
    }

    /// One crash point: runs the workload under an injected SIGKILL, then checks a restart.
    func crashAt(_ injection: String, _ n: Int, _ dir: TempDirectory) throws -> Bool {
        let state = dir.file("state-\(injection.prefix(5))-\(n)")
        try? FileManager.default.removeItem(atPath: state)
        try FileManager.default.createDirectory(atPath: state + "/journal", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: state + "/snapshots", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: state + "/" + Self.segment, contents: nil)
        let daemon = try start(dir, stateDir: state, strace: [
            "-P", state + "/" + Self.segment, "-P", state + "/snapshots/probe.snap.tmp",
            "-e", "trace=write,fdatasync,fsync", "-e", "inject=\(injection):signal=SIGKILL:when=\(n)",
        ])
        var work = Workload()
        work.run(socket: daemon.socket, clients: 3, perClient: 8, prefix: "w1")
        let snapshot = try? LineClient(socket: daemon.socket).request("state.snapshot")
        work.run(socket: daemon.socket, clients: 3, perClient: 8, prefix: "w2")
        let killed = daemon.waitExit(timeout: 0.5) != nil
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        daemon.stop()
        let restarted = try start(dir, stateDir: state)
        defer { restarted.stop() }
        work.verify(try Workload.dump(socket: restarted.socket))
        if !killed { #expect(snapshot?.final.hasPrefix("200 snapshot") == true) }
        return killed
    }

    @Test(.enabled(if: isRoot && hasStrace, "needs strace"))
    func killAtEveryJournalWrite() throws {
        // Until a run survives every write: then K covered all group commits and the snapshot.
        let crashes = try crashesUntilARunSurvives("write", upTo: 60)
        #expect(crashes >= 6, "the workload should take several group commits and a snapshot: \(crashes) writes")
    }

    @Test(.enabled(if: isRoot && hasStrace, "needs strace"))
    func killAtEverySync() throws {
        // fdatasync for journal batches, fsync for snapshots and directories: each has its own
        // counter, so run N kills at the N-th of either.
        let crashes = try crashesUntilARunSurvives("fdatasync,fsync", upTo: 40)
        #expect(crashes >= 3)
    }

    /// Five sets, killed (no snapshot), so the journal holds five records.
    func fiveRecords(_ dir: TempDirectory) throws -> (state: String, bytes: [UInt8], offsets: [Int]) {
        let state = dir.file("state")
        let daemon = try start(dir, stateDir: state)
        for i in 1...5 { #expect(try daemon.client().request("probe.set k\(i) 值\(i)").final.hasPrefix("200 set")) }
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: state + "/" + Self.segment)))
        var offsets: [Int] = []
        var o = 0
        while o < bytes.count {
            offsets.append(o)
            o += 8 + Int(UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
        }
        #expect(offsets.count == 5)
        return (state, bytes, offsets)
    }

    /// Starts a daemon on a damaged copy and returns its probe state.
    func stateAfter(_ dir: TempDirectory, _ original: String, damage: ([UInt8]) -> [UInt8]) throws -> [String: String]? {
        let copy = dir.file("copy")
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: original, toPath: copy)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: copy + "/" + Self.segment)))
        try Data(damage(bytes)).write(to: URL(fileURLWithPath: copy + "/" + Self.segment))
        let daemon = try start(dir, stateDir: copy, waitReady: false)
        defer { daemon.stop() }
        guard daemon.waitReady(timeout: 10) else { return nil }
        return try Workload.dump(socket: daemon.socket)
    }

    @Test func tornAndCorruptedTailsDropExactlyTheLastRecord() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (state, bytes, offsets) = try fiveRecords(dir)
        let expected = Dictionary(uniqueKeysWithValues: (1...4).map { ("k\($0)", "值\($0)") })
        for cut in offsets[4]..<bytes.count {
            #expect(try stateAfter(dir, state) { Array($0[..<cut]) } == expected, "truncated at \(cut)")
        }
        for i in offsets[4]..<bytes.count {
            #expect(try stateAfter(dir, state) { var b = $0; b[i] ^= 0xA5; return b } == expected, "flipped byte \(i)")
        }
    }

    @Test func corruptionMidJournalRefusesToStartAndRepairRecovers() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (state, bytes, offsets) = try fiveRecords(dir)
        var damaged = bytes
        damaged[offsets[1] + 10] ^= 0xFF
        try Data(damaged).write(to: URL(fileURLWithPath: state + "/" + Self.segment))
        let refused = try start(dir, stateDir: state, waitReady: false)
        defer { refused.stop() }
        #expect(refused.waitExit() == 1)
        #expect(refused.stderr.contains("journal corrupted in \(state)/\(Self.segment) at byte offset \(offsets[1])"))
        #expect(refused.stderr.contains("doorstepd --repair"))
        let repair = try DaemonProcess.run(Binaries.doorstepd, ["--repair", "--state-dir", state])
        #expect(repair.status == 0)
        #expect(repair.out.contains("moved bytes \(offsets[1])..<\(offsets[2])"))
        #expect(FileManager.default.fileExists(atPath: state + "/" + Self.segment + ".broken"))
        let daemon = try start(dir, stateDir: state)
        defer { daemon.stop() }
        let values = try Workload.dump(socket: daemon.socket)
        #expect(values == ["k1": "值1", "k3": "值3", "k4": "值4", "k5": "值5"], "everything but the damaged record")
        #expect(try daemon.client().request("probe.set k6 x").final.hasPrefix("200 set k6 at seq 6"))
    }

    @Test(.enabled(if: isRoot, "needs root to mount a tmpfs"))
    func fullDiskFailsWritesKeepsReadsAndRecovers() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let mount = dir.file("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        #expect(try DaemonProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mount]).status == 0)
        defer { _ = try? DaemonProcess.run("/bin/umount", ["-l", mount]) }
        FileManager.default.createFile(atPath: mount + "/filler", contents: Data(count: 1_300_000))
        let daemon = try start(dir, stateDir: mount + "/state", extra: "segment_bytes = 4194304")
        defer { daemon.stop() }
        let client = try daemon.client()
        var acknowledged: [String: String] = [:]
        var full: String?
        let big = String(repeating: "满", count: 2000)
        for i in 0..<400 {
            let reply = try client.request("probe.set w\(i) \(big)\(i)")
            if reply.final.hasPrefix("200") { acknowledged["w\(i)"] = "\(big)\(i)" } else { full = reply.final; break }
        }
        let message = try #require(full, "the disk never filled")
        #expect(message.hasPrefix("507 storage_full: the state directory is full"), "\(message)")
        // Reads keep working (at once, while writes keep failing), and every acknowledged
        // write is still there.
        for i in 0..<5 {
            #expect(try client.request("probe.set retry\(i) \(big)").final.hasPrefix("5"), "still full")
            #expect(try daemon.client().request("probe.get w0").final == "200 ok", "reads work while the disk is full")
        }
        let state = try Workload.dump(socket: daemon.socket)
        #expect(try daemon.client().request("state.snapshot", timeout: 20).final.count > 0, "a snapshot on a full disk answers")
        for (k, v) in acknowledged { #expect(state[k] == v) }
        #expect(state.count == acknowledged.count)
        #expect(try daemon.client().request("status").final == "200 ok")
        // Free space: writes succeed again.
        try FileManager.default.removeItem(atPath: mount + "/filler")
        var resumed = false
        for i in 0..<100 where !resumed {
            resumed = try client.request("probe.set after\(i) ok").final.hasPrefix("200 set")
            if !resumed { usleep(20_000) }
        }
        #expect(resumed)
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        let restarted = try start(dir, stateDir: mount + "/state", extra: "segment_bytes = 4194304")
        defer { restarted.stop() }
        let after = try Workload.dump(socket: restarted.socket)
        for (k, v) in acknowledged { #expect(after[k] == v, "acknowledged \(k) lost after restart") }
    }

    @Test(.enabled(if: isRoot && hasStrace, "needs strace"))
    func fsyncErrorIsFatalAndARestartRecovers() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let state = dir.file("state")
        let daemon = try start(dir, stateDir: state, strace: ["-e", "trace=fdatasync", "-e", "inject=fdatasync:error=EIO:when=6"])
        var work = Workload()
        work.run(socket: daemon.socket, clients: 4, perClient: 10, prefix: "w")
        let status = daemon.waitExit(timeout: 10)
        // Ended from the top level (the service group), with the status of a storage failure.
        #expect(status == 74, "an fsync error stops the daemon with status 74 (EX_IOERR), got \(String(describing: status))")
        #expect(daemon.stderr.contains("fdatasync failed"))
        #expect(daemon.stderr.contains("stopped after a fatal failure"))
        #expect(work.acknowledged.count < work.sent.count, "the failed batch was not acknowledged")
        let restarted = try start(dir, stateDir: state)
        defer { restarted.stop() }
        work.verify(try Workload.dump(socket: restarted.socket))
        daemon.stop()
    }

    @Test(.enabled(if: isRoot && hasStrace, "needs strace"))
    func writeErrorFailsTheBatchAndWritesResume() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let state = dir.file("state")
        try FileManager.default.createDirectory(atPath: state + "/journal", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: state + "/" + Self.segment, contents: nil)
        let daemon = try start(dir, stateDir: state, strace: [
            "-P", state + "/" + Self.segment, "-e", "trace=write", "-e", "inject=write:error=EIO:when=3",
        ])
        defer { daemon.stop() }
        let c = try daemon.client()
        var replies: [String] = []
        for i in 1...6 { replies.append(try c.request("probe.set k\(i) v\(i)").final) }
        #expect(replies[2].hasPrefix("500 internal_error: the journal could not be written"), "\(replies)")
        #expect(replies[2].contains("Input/output error"))
        var resumed = false
        for i in 0..<100 where !resumed {
            resumed = try c.request("probe.set after\(i) ok").final.hasPrefix("200 set")
            if !resumed { usleep(20_000) }
        }
        #expect(resumed, "writes resume after a failed write")
        let live = try Workload.dump(socket: daemon.socket)
        #expect(live["k3"] == nil, "the failed change is gone from memory too")
        #expect(live["k1"] == "v1" && live["k2"] == "v2")
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        let restarted = try start(dir, stateDir: state)
        defer { restarted.stop() }
        let after = try Workload.dump(socket: restarted.socket)
        for (i, reply) in replies.enumerated() where reply.hasPrefix("200") {
            #expect(after["k\(i + 1)"] == "v\(i + 1)", "acknowledged k\(i + 1) lost")
        }
        #expect(after["k3"] == nil)
    }

    @Test func restartingAPluginOnReloadUnderLoadLosesNothing() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let state = dir.file("state")
        let config = "[daemon]\nstate_dir = \"\(state)\"\n[plugins.probe]\nenabled = true\nreload_in_place = false\n"
        let daemon = try DaemonProcess(config: config)
        let socket = daemon.socket
        let results = Mutex<Workload>(Workload())
        let writers = (0..<4).map { w in
            Thread {
                var work = Workload()
                for round in 0..<15 { work.run(socket: socket, clients: 1, perClient: 10, prefix: "w\(w)-\(round)") }
                results.withLock { all in
                    all.acknowledged.merge(work.acknowledged) { $1 }
                    all.sent.merge(work.sent) { $1 }
                }
            }
        }
        writers.forEach { $0.start() }
        for i in 0..<5 {
            daemon.rewriteConfig(config + "greeting = \"第\(i)次\"\n")
            do {
                #expect(try daemon.client().request("reload", timeout: 30).contains("200-probe: restarted"))
            } catch {
                Issue.record("reload \(i) did not answer: \(error)\n\(daemon.stacks())")
                break
            }
            usleep(50_000)
        }
        while writers.contains(where: { !$0.isFinished }) { usleep(20_000) }
        let work = results.withLock { $0 }
        #expect(work.acknowledged.count > 100)
        work.verify(try Workload.dump(socket: socket))
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        daemon.stop()
        let restarted = try start(dir, stateDir: state)
        defer { restarted.stop() }
        work.verify(try Workload.dump(socket: restarted.socket))
    }

    @Test func aDisabledPluginDoesNotPinTheJournal() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let state = dir.file("state")
        let small = "[daemon]\nstate_dir = \"\(state)\"\nsegment_bytes = 4096\n"
        let first = try DaemonProcess(config: small + DaemonProcess.probeConfig)
        var work = Workload()
        work.run(socket: first.socket, clients: 2, perClient: 100, prefix: "w")
        first.signal(SIGKILL)
        _ = first.waitExit()
        first.stop()
        let segments = { (try? FileManager.default.contentsOfDirectory(atPath: state + "/journal"))?.filter { $0.hasSuffix(".seg") }.count ?? 0 }
        #expect(segments() > 3)
        let disabled = try DaemonProcess(config: small + "[plugins.probe]\nenabled = false\n")
        #expect(disabled.stderr.contains("snapshotted disabled plugins"))
        #expect(try disabled.client().request("state.snapshot").final.hasPrefix("200 snapshot"))
        #expect(segments() == 1, "segments the disabled plugin's snapshot includes are removed")
        disabled.stop()
        let enabled = try DaemonProcess(config: small + DaemonProcess.probeConfig)
        defer { enabled.stop() }
        work.verify(try Workload.dump(socket: enabled.socket))
        #expect(work.acknowledged.count == 200)
    }

    /// A snapshot round leaves a plugin with nothing new alone (its file is not rewritten) and
    /// still lets the segments go that only other plugins' records fill.
    @Test func aSnapshotRoundSkipsUnchangedPluginsAndStillCompacts() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let state = dir.file("state")
        let config = "[daemon]\nstate_dir = \"\(state)\"\nsegment_bytes = 4096\n" + DaemonProcess.probeConfig
        let first = try DaemonProcess(config: config)
        for h in ["1-1-101", "1-1-102", "2-1-301"] { #expect(try first.client().request("roster.household.add \(h)").final.hasPrefix("200")) }
        #expect(try first.client().request("state.snapshot").final.hasPrefix("200 snapshot"))
        let rosterSnap = state + "/snapshots/roster.snap"
        func identity(_ path: String) -> String {
            guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return "missing" }
            return "\(a[.systemFileNumber] ?? "?")/\((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        let before = identity(rosterSnap)
        #expect(before != "missing")
        var work = Workload()
        work.run(socket: first.socket, clients: 2, perClient: 150, prefix: "w")
        let segments = { (try? FileManager.default.contentsOfDirectory(atPath: state + "/journal"))?.filter { $0.hasSuffix(".seg") }.count ?? 0 }
        #expect(segments() > 3)
        Thread.sleep(forTimeInterval: 0.05)
        let round = try first.client().request("state.snapshot")
        #expect(round.final.hasPrefix("200 snapshot"), "\(round)")
        #expect(identity(rosterSnap) == before, "the roster recorded nothing: its snapshot is not rewritten")
        #expect(segments() == 1, "the roster's old snapshot still lets the probe's segments go")
        first.signal(SIGKILL)
        _ = first.waitExit()
        first.stop()
        let second = try DaemonProcess(config: config)
        defer { second.stop() }
        work.verify(try Workload.dump(socket: second.socket))
        #expect(try second.client().request("roster.household 2-1-301").final.hasPrefix("200"))
        // A change makes the next round write the roster again.
        #expect(try second.client().request("roster.household.add 3-1-101").final.hasPrefix("200"))
        #expect(try second.client().request("state.snapshot").final.hasPrefix("200 snapshot"))
        #expect(identity(rosterSnap) != before)
    }

    static let canLoopMount: Bool = {
        guard isRoot, FileManager.default.isExecutableFile(atPath: "/sbin/mkfs.ext4") else { return false }
        return (try? DaemonProcess.run("/sbin/losetup", ["-f"]).status) == 0
    }()

    @Test(.enabled(if: canLoopMount, "needs root, mkfs.ext4 and a free loop device"))
    func powerCutKeepsEveryAcknowledgedWrite() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let image = dir.file("disk.img"), mount = dir.file("mnt")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        #expect(try DaemonProcess.run("/usr/bin/truncate", ["-s", "64M", image]).status == 0)
        #expect(try DaemonProcess.run("/sbin/mkfs.ext4", ["-q", "-F", image]).status == 0)
        let mountArgs = ["-o", "loop,noauto_da_alloc", image, mount]
        #expect(try DaemonProcess.run("/bin/mount", mountArgs).status == 0)
        var mounted = true
        defer { if mounted { _ = try? DaemonProcess.run("/bin/umount", [mount]) } }
        let daemon = try start(dir, stateDir: mount + "/state")
        var work = Workload()
        work.run(socket: daemon.socket, clients: 5, perClient: 20, prefix: "w1")
        _ = try daemon.client().request("state.snapshot")
        work.run(socket: daemon.socket, clients: 5, perClient: 20, prefix: "w2")
        // The power cut: the file system stops at once, without flushing its log.
        let cut = try DaemonProcess.run("/usr/bin/python3", ["-c", """
            import fcntl, os
            fd = os.open("\(mount)", os.O_RDONLY)
            fcntl.ioctl(fd, 0x8004587D, (2).to_bytes(4, "little"))  # EXT4_IOC_SHUTDOWN, NOLOGFLUSH
            """])
        #expect(cut.status == 0, "\(cut.err)")
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        daemon.stop()
        #expect(try DaemonProcess.run("/bin/umount", [mount]).status == 0)
        #expect(try DaemonProcess.run("/bin/mount", mountArgs).status == 0)
        let restarted = try start(dir, stateDir: mount + "/state")
        work.verify(try Workload.dump(socket: restarted.socket))
        #expect(work.acknowledged.count == 200)
        restarted.stop()
        _ = try DaemonProcess.run("/bin/umount", [mount])
        mounted = false
    }

    @Test func backupUnderWriteLoadRestoresTheStateAtItsSequence() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let daemon = try start(dir, stateDir: dir.file("state"))
        defer { daemon.stop() }
        var seed = Workload()
        seed.run(socket: daemon.socket, clients: 2, perClient: 60, prefix: "w0")
        // The backup then holds a snapshot and journal records; the one segment stays, so
        // state.export below still lists every event.
        #expect(try daemon.client().request("state.snapshot").final.hasPrefix("200 snapshot"))
        let socket = daemon.socket
        let writer = Thread {
            var more = Workload()
            for round in 0..<20 { more.run(socket: socket, clients: 2, perClient: 10, prefix: "w-load\(round)") }
        }
        writer.start()
        usleep(50_000)
        let backupDir = dir.file("backup")
        let reply = try daemon.client().request("state.backup dir=\(backupDir)", timeout: 30)
        #expect(reply.final.hasPrefix("200 backup up to seq"))
        let streamed = try daemon.ctl(["state.backup"])
        #expect(streamed.status == 0)
        dir.write("backup.txt", streamed.out)
        while writer.isExecuting || !writer.isFinished { usleep(20_000) }
        let seqLine = try #require(reply.first { $0.contains("seq:") })
        let dirSeq = try #require(Int(seqLine.split(separator: " ").last ?? ""))
        let header = try #require(streamed.out.split(separator: "\n").first)
        let streamSeq = try #require(Int(header.split(separator: " ").first { $0.hasPrefix("seq=") }?.dropFirst(4) ?? ""))
        #expect(streamSeq >= dirSeq)
        // The expected state: the source's own events up to each backup's sequence number.
        let export = try daemon.ctl(["--json", "state.export", "plugin=probe"])
        let events = try #require(try JSONSerialization.jsonObject(with: Data(export.out.utf8)) as? [String: Any])["data"] as? [[String: Any]]
        func expected(upTo seq: Int) -> [String: String] {
            var state: [String: String] = [:]
            for event in events ?? [] where (event["seq"] as? Int ?? .max) <= seq {
                let data = event["data"] as? [String: Any]
                if event["type"] as? String == "set" { state[data?["key"] as! String] = data?["value"] as? String }
            }
            return state
        }
        #expect(expected(upTo: dirSeq).count >= 120)
        for (source, name, seq) in [(backupDir, "dir", dirSeq), (dir.file("backup.txt"), "stream", streamSeq)] {
            let restoredDir = dir.file("restored-\(name)")
            let restore = try DaemonProcess.run(Binaries.doorstepd, ["--restore", source, "--state-dir", restoredDir])
            #expect(restore.status == 0, "\(restore.err)")
            let restored = try start(dir, stateDir: restoredDir)
            let got = try Workload.dump(socket: restored.socket)
            let want = expected(upTo: seq)
            let missing = want.keys.filter { got[$0] != want[$0] }.sorted()
            let extra = got.keys.filter { want[$0] == nil }.sorted()
            #expect(got == want, "\(name) backup at seq \(seq): missing \(missing.prefix(5)) of \(missing.count), extra \(extra.prefix(5)) of \(extra.count)")
            restored.stop()
        }
        let again = try DaemonProcess.run(Binaries.doorstepd, ["--restore", backupDir, "--state-dir", dir.file("restored-dir")])
        #expect(again.status == 1)
        #expect(again.err.contains("is not empty"))
        dir.write("garbage.txt", "doorstep-backup 1 x\nend\n")
        let garbage = try DaemonProcess.run(Binaries.doorstepd, ["--restore", dir.file("garbage.txt"), "--state-dir", dir.file("g")])
        #expect(garbage.status == 1)
        #expect(garbage.err.contains("lacks seq= or files="))
        var cut = streamed.out.split(separator: "\n", omittingEmptySubsequences: false)
        cut.removeLast(3)
        dir.write("cut.txt", cut.joined(separator: "\n"))
        let truncated = try DaemonProcess.run(Binaries.doorstepd, ["--restore", dir.file("cut.txt"), "--state-dir", dir.file("c")])
        #expect(truncated.status == 1, "a cut-short stream is refused")
    }
}

@Suite("Persistent timers", .serialized)
struct PersistentTimerTests {
    func iso(_ offset: Double) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date().addingTimeInterval(offset))
    }

    func value(_ daemon: DaemonProcess, _ key: String) throws -> String? {
        let reply = try daemon.client().request("probe.get \(key)")
        return reply.final.hasPrefix("200") ? String(reply.first!.dropFirst(4)) : nil
    }

    func waitValue(_ daemon: DaemonProcess, _ key: String, _ want: String) throws -> Bool {
        for _ in 0..<100 {
            if try value(daemon, key) == want { return true }
            usleep(50_000)
        }
        return false
    }

    @Test func aTimerMissedWhileDownFiresOnceAtStart() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let config = "[daemon]\nstate_dir = \"\(dir.file("state"))\"\n" + DaemonProcess.probeConfig
        let first = try DaemonProcess(config: config)
        #expect(try first.client().request("probe.alarm missed at=\(iso(1.5))").final.hasPrefix("200 alarm missed"))
        #expect(try first.client().request("probe.alarm later at=\(iso(3600))").final.hasPrefix("200 alarm later"))
        first.signal(SIGKILL)
        _ = first.waitExit()
        first.stop()
        sleep(2)
        let second = try DaemonProcess(config: config)
        #expect(try waitValue(second, "alarm:missed", "fired 1"), "the missed timer fires at start")
        #expect(try value(second, "alarm:later") == nil, "a future timer waits")
        #expect(try second.client().request("probe.alarm soon at=\(iso(0.5))").final.hasPrefix("200"))
        #expect(try waitValue(second, "alarm:soon", "fired 1"), "a timer fires while running")
        second.stop()
        let third = try DaemonProcess(config: config)
        defer { third.stop() }
        usleep(800_000)
        #expect(try value(third, "alarm:missed") == "fired 1", "fired once, not again after a restart")
        #expect(try value(third, "alarm:soon") == "fired 1")
    }
}
