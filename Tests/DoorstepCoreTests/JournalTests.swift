@testable import DoorstepCore
import Foundation
import Logging
import PluginAPI
import ProbePlugin
import Testing

@Suite("Journal format and recovery rules")
struct JournalTests {
    func event(_ seq: UInt64, _ payload: String = #"{"key":"a","value":"1"}"#) -> RecordedEvent {
        RecordedEvent(seq: seq, time: 1_641_960_000, plugin: "probe", type: "set", version: 2, payload: Array(payload.utf8))
    }

    func journal(_ count: Int) -> (bytes: [UInt8], offsets: [Int]) {
        var bytes: [UInt8] = []
        var offsets: [Int] = []
        for i in 1...count {
            offsets.append(bytes.count)
            JournalRecord.encode(event(UInt64(i), #"{"key":"k\#(i)","value":"王\#(i)"}"#), into: &bytes)
        }
        return (bytes, offsets)
    }

    func scan(_ bytes: [UInt8], isLast: Bool = true) throws -> (JournalScanner.Result, [UInt64]) {
        var seqs: [UInt64] = []
        let result = try bytes.withUnsafeBytes { b in
            try JournalScanner.scan(b, file: "j.seg", isLast: isLast, after: 0) { seqs.append($0.seq) }
        }
        return (result, seqs)
    }

    @Test func theCRCInstructionAndTheTablesAgreeOnEveryLengthAndAlignment() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for count in [0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4000] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + count)])
                    #expect(CRC32C.checksum(slice, continuing: 0x1234_5678) == CRC32C.tableChecksum(slice, continuing: 0x1234_5678))
                    #expect(CRC32C.checksum(slice) == CRC32C.tableChecksum(slice))
                }
            }
        }
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32C.tableChecksum($0) } == 0xE306_9283)
        #if arch(x86_64)
        #expect(CRC32C.hardware, "x86-64 machines since 2008 have SSE4.2: the comparison above must not be tables against tables")
        #endif
    }

    @Test func crc32cKnownAnswer() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let split = long[..<333].withUnsafeBytes { a in
            long[333...].withUnsafeBytes { b in CRC32C.checksum(b, continuing: CRC32C.checksum(a)) }
        }
        #expect(split == CRC32C.checksum(long))
    }

    @Test func recordRoundTrip() throws {
        var bytes: [UInt8] = []
        let e = RecordedEvent(seq: 42, time: -5, plugin: "visits", type: "need.opened", version: 3, payload: Array("{\"x\":\"药\"}".utf8))
        JournalRecord.encode(e, into: &bytes)
        guard case .record(let back, let size) = bytes.withUnsafeBytes({ JournalRecord.parse($0, at: 0) }) else {
            Issue.record("not parsed")
            return
        }
        #expect(size == bytes.count)
        #expect(back.seq == 42 && back.time == -5 && back.plugin == "visits" && back.type == "need.opened" && back.version == 3)
        #expect(back.payload == e.payload)
    }

    @Test func everyTruncationOfTheLastRecordIsATornTail() throws {
        let (bytes, offsets) = journal(5)
        let last = offsets[4]
        for cut in last..<bytes.count {
            let (result, seqs) = try scan(Array(bytes[..<cut]))
            #expect(seqs == [1, 2, 3, 4], "cut at \(cut)")
            #expect(result.validEnd == last)
            #expect(result.tornBytes == cut - last)
        }
    }

    @Test func everyFlippedByteOfTheLastRecordIsATornTail() throws {
        let (bytes, offsets) = journal(5)
        for i in offsets[4]..<bytes.count {
            var damaged = bytes
            damaged[i] ^= 0x5A
            let (result, seqs) = try scan(damaged)
            #expect(seqs == [1, 2, 3, 4], "flip at \(i)")
            #expect(result.validEnd == offsets[4])
        }
    }

    @Test func damageBeforeTheTailIsCorruption() {
        let (bytes, offsets) = journal(5)
        for i in [offsets[1], offsets[1] + 5, offsets[2] + 20] {
            var damaged = bytes
            damaged[i] ^= 0xFF
            #expect(throws: JournalCorruption.self, "flip at \(i)") { try scan(damaged) }
        }
        var e: JournalCorruption?
        var damaged = bytes
        damaged[offsets[1] + 12] ^= 1
        do { _ = try scan(damaged) } catch let c as JournalCorruption { e = c } catch {}
        #expect(e?.offset == offsets[1])
        #expect(e?.description.contains("doorstepd --repair") == true)
    }

    @Test func aTornRecordInAnOlderSegmentIsCorruption() {
        let (bytes, _) = journal(3)
        #expect(throws: JournalCorruption.self) { try scan(Array(bytes.dropLast(3)), isLast: false) }
    }

    @Test func sequenceGoingBackwardsIsCorruption() {
        var bytes: [UInt8] = []
        JournalRecord.encode(event(5), into: &bytes)
        JournalRecord.encode(event(4), into: &bytes)
        JournalRecord.encode(event(6), into: &bytes)
        #expect(throws: JournalCorruption.self) { try scan(bytes) }
    }

    /// The windowed reader a replay uses gives the same records as a whole-file scan, for
    /// windows smaller than one record, around record boundaries, and larger than the file.
    @Test func theWindowedSegmentReaderSeesEveryRecordWhateverTheWindow() throws {
        var (bytes, _) = journal(40)
        JournalRecord.encode(event(41, "{\"key\":\"big\",\"value\":\"" + String(repeating: "居", count: 3000) + "\"}"), into: &bytes)
        JournalRecord.encode(event(42), into: &bytes)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("segment-reader-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/1.seg"
        // Whole; then with a torn tail (the writer's record in progress), which ends the read.
        for (file, expected) in [(bytes, Array(1...42)), (Array(bytes.dropLast(5)), Array(1...41))] {
            FileManager.default.createFile(atPath: path, contents: Data(file))
            for window in [8, 13, 64, 100, 4096, 1 << 20] {
                var seqs: [UInt64] = []
                try SegmentReader.records(in: path, window: window) { seqs.append($0.seq); return true }
                #expect(seqs == expected.map(UInt64.init), "window \(window)")
            }
        }
        // Stopping early reads no further.
        var seen: [UInt64] = []
        try SegmentReader.records(in: path, window: 64) { seen.append($0.seq); return $0.seq < 3 }
        #expect(seen == [1, 2, 3])
        // Sequence numbers going backwards are a bug, named with the offset.
        var backwards: [UInt8] = []
        JournalRecord.encode(event(5), into: &backwards)
        JournalRecord.encode(event(4), into: &backwards)
        FileManager.default.createFile(atPath: path, contents: Data(backwards))
        #expect(throws: JournalCorruption.self) { try SegmentReader.records(in: path, window: 16) { _ in true } }
        #expect(throws: FileSystem.Failure.self) { try SegmentReader.records(in: dir + "/missing.seg") { _ in true } }
    }

    /// A replay (`subscribe … from=`, reactions catching up) never skips committed events
    /// silently: damage inside the journal is an error (the reader retries), while the newest
    /// segment may end in the writer's record in progress after the committed ones.
    @Test func aReplayRefusesDamageButNotTheRecordInProgress() throws {
        let dir = NSTemporaryDirectory() + "doorstep-unit-\(UUID().uuidString)"
        try FileIO.makeDirectories(dir + "/journal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var segments: [[UInt8]] = []
        for first in [1, 11, 21] {
            var bytes: [UInt8] = []
            for i in first..<(first + 10) {
                var e = RecordedEvent(seq: UInt64(i), time: 0, plugin: "probe", type: "set", version: 2, payload: Array("{}".utf8))
                e.announced = Array(#"[{"name":"probe.n","data":{"i":\#(i)}}]"#.utf8)
                JournalRecord.encode(e, into: &bytes)
            }
            segments.append(bytes)
        }
        func write(_ index: Int, _ bytes: [UInt8]) throws {
            try FileSystem.writeAtomically(dir + "/journal/" + SegmentFile.name(firstSeq: UInt64(index * 10 + 1)), bytes)
        }
        for (i, bytes) in segments.enumerated() { try write(i, bytes) }
        let store = StateStore(root: dir, settings: StateSettings(), logger: Logger(label: "test"), ref: JournalRef())
        #expect(try store.committedEvents(after: 0, through: 30, patterns: ["*"]).events.map(\.seq) == Array(1...30).map(UInt64.init))
        #expect(try store.committedEvents(after: 12, through: 30, patterns: ["*"], limit: 5).events.map(\.seq) == [13, 14, 15, 16, 17])
        // Up to a record inside a segment (the stop after it used to recurse without end).
        let upTo = try store.committedEvents(after: 0, through: 15, patterns: ["*"])
        #expect(upTo.events.map(\.seq) == Array(1...15).map(UInt64.init) && upTo.readThrough == 15)
        // The writer's record in progress after the committed ones: read up to it.
        var growing = segments[2]
        var next = RecordedEvent(seq: 31, time: 0, plugin: "probe", type: "set", version: 2, payload: Array("{}".utf8))
        next.announced = Array(#"[{"name":"probe.n","data":{}}]"#.utf8)
        JournalRecord.encode(next, into: &growing)
        try write(2, Array(growing.dropLast(7)))
        #expect(try store.committedEvents(after: 20, through: 30, patterns: ["*"]).events.count == 10)
        // ...but not before them: record 31 was committed.
        #expect(throws: JournalCorruption.self) { try store.committedEvents(after: 20, through: 31, patterns: ["*"]) }
        // A flipped byte inside an older segment is damage, wherever the replay starts in it.
        var damaged = segments[1]
        damaged[damaged.count / 2] ^= 0x40
        try write(1, damaged)
        #expect(throws: JournalCorruption.self) { try store.committedEvents(after: 0, through: 30, patterns: ["*"]) }
        #expect(throws: JournalCorruption.self) { try store.committedEvents(after: 11, through: 30, patterns: ["*"]) }
        #expect(try store.committedEvents(after: 20, through: 30, patterns: ["*"]).events.count == 10, "a replay past it is not affected")
    }

    @Test func snapshotFilesAreChecksummed() throws {
        let encoded = SnapshotFile.encode(covered: 77, cursor: 70, payload: Array("{\"a\":\"1\"}".utf8))
        let decoded = try SnapshotFile.decode(encoded, path: "p.snap")
        #expect(decoded == SnapshotFile.Contents(covered: 77, cursor: 70, payload: Array("{\"a\":\"1\"}".utf8)))
        for i in 0..<encoded.count {
            var damaged = encoded
            damaged[i] ^= 0x01
            #expect(throws: SnapshotFile.Corrupt.self, "flip at \(i)") { try SnapshotFile.decode(damaged, path: "p.snap") }
        }
        #expect(throws: SnapshotFile.Corrupt.self) { try SnapshotFile.decode(Array(encoded.dropLast()), path: "p.snap") }
    }
}

@Suite("State store with a real plugin")
struct StateStoreTests {
    let logger = Logger(label: "test")

    func makeProbe(_ ref: JournalRef) throws -> ProbePlugin {
        let context = PluginContext(logger: logger, events: PluginEventBus(pluginID: "probe", hub: EventHub(), ref: ref, clock: SystemClock()),
                                    timers: PluginTimers(logger: logger), state: PluginStateService(pluginID: "probe", ref: ref))
        return try ProbePlugin(config: PluginConfig(pluginID: "probe", values: [:]), context: context)
    }

    func value(_ probe: ProbePlugin, _ key: String) async throws -> String? {
        let request = Request(command: "probe.get", values: ["key": key], caller: Caller(uid: 0, gid: 0, pid: 0, role: .admin))
        do {
            return try await probe.boundCommands()[request.command]!.run(request).lines?.first
        } catch let e as ControlError where e.code == 404 {
            return nil
        }
    }

    func set(_ probe: ProbePlugin, _ key: String, _ value: String) async throws {
        let request = Request(command: "probe.set", values: ["key": key, "value": value],
                              caller: Caller(uid: 0, gid: 0, pid: 0, role: .admin))
        _ = try await probe.boundCommands()[request.command]!.run(request)
    }

    @Test func anOlderSchemaVersionStillReplays() async throws {
        let dir = NSTemporaryDirectory() + "doorstep-unit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileIO.makeDirectories(dir + "/journal")
        var bytes: [UInt8] = []
        // A journal written by an older release: set v1 used the keys "k" and "v".
        JournalRecord.encode(RecordedEvent(seq: 1, time: 0, plugin: "probe", type: "set", version: 1,
                                           payload: Array(#"{"k":"老","v":"v1"}"#.utf8)), into: &bytes)
        JournalRecord.encode(RecordedEvent(seq: 2, time: 0, plugin: "probe", type: "set", version: 2,
                                           payload: Array(#"{"key":"新","value":"v2"}"#.utf8)), into: &bytes)
        try FileSystem.writeAtomically(dir + "/journal/" + SegmentFile.name(firstSeq: 1), bytes)
        let ref = JournalRef()
        let store = StateStore(root: dir, settings: StateSettings(), logger: logger, ref: ref)
        let probe = try makeProbe(ref)
        let recovery = try await store.open(plugins: ["probe": probe]) { _, answer in answer() }
        defer { store.close() }
        #expect(recovery.replayed == 2)
        #expect(try await value(probe, "老") == "v1")
        #expect(try await value(probe, "新") == "v2")
        try await set(probe, "third", "3")
        #expect(store.journal.lastSeq == 3)
    }

    @Test func snapshotThenReplayGivesTheSameStateAndDropsOldSegments() async throws {
        let dir = NSTemporaryDirectory() + "doorstep-unit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var settings = StateSettings()
        settings.segmentBytes = 4096
        do {
            let ref = JournalRef()
            let store = StateStore(root: dir, settings: settings, logger: logger, ref: ref)
            let probe = try makeProbe(ref)
            _ = try await store.open(plugins: ["probe": probe]) { _, answer in answer() }
            for i in 0..<200 { try await set(probe, "k\(i)", "值\(i)") }
            #expect(store.journalSize.segments > 2)
            guard case .success(let info) = await store.snapshotAll(["probe": probe]) else { Issue.record("snapshot failed"); return }
            #expect(info.seq == 200)
            #expect(store.journalSize.segments == 1, "segments the snapshot includes are removed")
            for i in 200..<210 { try await set(probe, "k\(i)", "值\(i)") }
            store.close()
        }
        let ref = JournalRef()
        let store = StateStore(root: dir, settings: settings, logger: logger, ref: ref)
        let probe = try makeProbe(ref)
        let recovery = try await store.open(plugins: ["probe": probe]) { _, answer in answer() }
        defer { store.close() }
        #expect(recovery.replayed == 10, "only the events after the snapshot are replayed")
        #expect(try await value(probe, "k0") == "值0")
        #expect(try await value(probe, "k209") == "值209")
        try await set(probe, "next", "x")
        #expect(store.journal.lastSeq == 211, "numbering continues after the snapshot")
    }

    /// Writes `count` probe `set` records (k1…kN, one segment per `perSegment`) and returns the directory.
    func writeJournal(_ count: Int, perSegment: Int, poison: Int? = nil) throws -> String {
        let dir = NSTemporaryDirectory() + "doorstep-unit-\(UUID().uuidString)"
        try FileIO.makeDirectories(dir + "/journal")
        for first in stride(from: 1, through: count, by: perSegment) {
            var bytes: [UInt8] = []
            for i in first..<min(first + perSegment, count + 1) {
                // Record `poison` has a type the probe cannot apply.
                let e = RecordedEvent(seq: UInt64(i), time: 0, plugin: "probe", type: i == poison ? "nope" : "set", version: 2,
                                      payload: Array(#"{"key":"k\#(i)","value":"王\#(i)"}"#.utf8))
                JournalRecord.encode(e, into: &bytes)
            }
            try FileSystem.writeAtomically(dir + "/journal/" + SegmentFile.name(firstSeq: UInt64(first)), bytes)
        }
        return dir
    }

    @Test func replayAcrossManyBatchesAndSegmentsKeepsOrderAndCount() async throws {
        // More records than several batches, over segments that split batches mid-way.
        let count = StateStore.replayBatchLimit * 3 + 17
        let dir = try writeJournal(count, perSegment: StateStore.replayBatchLimit + 5)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let segment = try FileSystem.readAll(dir + "/journal/" + SegmentFile.name(firstSeq: 1))
        #expect(segment.withUnsafeBytes { JournalScanner.recordsByPlugin($0) } == ["probe": StateStore.replayBatchLimit + 5])
        let ref = JournalRef()
        let store = StateStore(root: dir, settings: StateSettings(), logger: logger, ref: ref)
        let probe = try makeProbe(ref)
        let recovery = try await store.open(plugins: ["probe": probe]) { _, answer in answer() }
        defer { store.close() }
        #expect(recovery.replayed == count)
        #expect(recovery.records == count)
        #expect(recovery.segments == 4)
        #expect(recovery.lastSeqByPlugin["probe"] == UInt64(count))
        #expect(try await value(probe, "k1") == "王1")
        #expect(try await value(probe, "k\(count)") == "王\(count)")
        try await set(probe, "next", "x")
        #expect(store.journal.lastSeq == UInt64(count + 1))
    }

    @Test func aRecordThatCannotBeAppliedStopsReplayWithItsError() async throws {
        // The reader runs ahead of the appliers: it must stop, not hang, when applying fails.
        let dir = try writeJournal(StateStore.replayBatchLimit * 40, perSegment: StateStore.replayBatchLimit * 20, poison: 3)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ref = JournalRef()
        let store = StateStore(root: dir, settings: StateSettings(), logger: logger, ref: ref)
        let probe = try makeProbe(ref)
        let error = await #expect(throws: ReplayFailure.self) {
            _ = try await store.open(plugins: ["probe": probe]) { _, answer in answer() }
        }
        // Never a silent skip: plugin, type, version, sequence number, file and offset.
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("plugin probe"))
        #expect(message.contains("'nope' version 2"))
        #expect(message.contains("seq 3"))
        #expect(message.contains("00000000000000000001.seg at byte offset "))
        #expect(error?.at?.offset ?? 0 > 0)
    }

    @Test func cancellingStartUpDuringReplayStopsTheReader() async throws {
        let dir = try writeJournal(StateStore.replayBatchLimit * 60, perSegment: StateStore.replayBatchLimit * 20)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ref = JournalRef()
        let store = StateStore(root: dir, settings: StateSettings(), logger: logger, ref: ref)
        let probe = try makeProbe(ref)
        let task = Task { try await store.open(plugins: ["probe": probe]) { _, answer in answer() } }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let outcome = await task.result
        switch outcome {
        case .success(let recovery):
            // Finished before the cancel arrived: then everything was replayed.
            #expect(recovery.replayed == StateStore.replayBatchLimit * 60)
            store.close()
        case .failure(let error):
            #expect(error is CancellationError, "\(error)")
        }
    }

    @Test func interleavedPluginsReplayInTheirOwnOrderAndCountOnlyUncoveredRecords() async throws {
        // Three plugins take turns (one unknown to this daemon); every key is overwritten many
        // times, so a plugin's records applied out of order would leave another value behind.
        let dir = NSTemporaryDirectory() + "doorstep-unit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileIO.makeDirectories(dir + "/journal")
        let ids = ["probe", "ghost", "gone"]
        let count = StateStore.replayBatchLimit * 3 + 11
        var bytes: [UInt8] = []
        var expected: [String: [String: String]] = [:]
        for i in 1...count {
            let id = ids[i % 3], key = "k\(i % 97)", value = "值\(i)"
            JournalRecord.encode(RecordedEvent(seq: UInt64(i), time: 0, plugin: id, type: "set", version: 2,
                                               payload: Array(#"{"key":"\#(key)","value":"\#(value)"}"#.utf8)), into: &bytes)
            expected[id, default: [:]][key] = value
        }
        try FileSystem.writeAtomically(dir + "/journal/" + SegmentFile.name(firstSeq: 1), bytes)
        let counts = bytes.withUnsafeBytes { JournalScanner.recordsByPlugin($0, after: ["probe": 30]) }
        #expect(counts["probe"] == (1...count).filter { $0 % 3 == 0 && $0 > 30 }.count)
        #expect(counts["ghost"] == (1...count).filter { $0 % 3 == 1 }.count)
        let ref = JournalRef()
        let store = StateStore(root: dir, settings: StateSettings(), logger: logger, ref: ref)
        let probe = try makeProbe(ref), ghost = try makeProbe(ref)
        let recovery = try await store.open(plugins: ["probe": probe, "ghost": ghost]) { _, answer in answer() }
        defer { store.close() }
        #expect(recovery.replayed == (1...count).filter { $0 % 3 != 2 }.count)
        #expect(recovery.lastSeqByPlugin["gone"] == UInt64((1...count).last { $0 % 3 == 2 }!))
        for key in ["k0", "k1", "k50", "k96"] {
            #expect(try await value(probe, key) == expected["probe"]![key])
            #expect(try await value(ghost, key) == expected["ghost"]![key])
        }
    }
}
