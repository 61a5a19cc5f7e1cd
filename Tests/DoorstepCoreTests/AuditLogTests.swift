@testable import DoorstepCore
import DoorstepProtocol
import Foundation
import Logging
import PluginAPI
import Testing

/// The audit log's file format, its recovery rules (torn tail, damage), group commit and
/// bounded queries; the redaction of arguments and which requests are audited.
@Suite("Audit log format, recovery and queries")
struct AuditLogTests {
    let logger: Logger = { var l = Logger(label: "audit.test"); l.logLevel = .critical; return l }()

    func record(_ n: Int, uid: UInt32 = 1000, command: String = "visits.record", plugin: String = "visits",
                at millis: Int64 = 1_641_960_000_000) -> AuditRecord {
        AuditRecord(timeMillis: millis + Int64(n) * 1000, uid: uid, user: "u\(uid)", pid: Int32(100 + n), role: "operator",
                    command: command, plugin: plugin, kind: .change,
                    args: [("household", .string("3-2-\(n)")), ("note", AuditRedaction.hidden), ("people", .int(Int64(n)))],
                    bodyBytes: n % 2 == 0 ? nil : n, code: n % 3 == 0 ? 403 : 200, error: n % 3 == 0 ? "forbidden" : nil)
    }

    func tempDir() -> String {
        var template = Array("/tmp/doorstep-audit-XXXXXX".utf8CString)
        return String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
    }

    /// Opens a log in `dir`, appends `count` records and waits until each is durable.
    func filled(_ dir: String, _ count: Int) async throws -> AuditLog {
        let log = try AuditLog(stateDir: dir, fsync: .always, logger: logger)
        for i in 1...count { await log.record(record(i)) }
        return log
    }

    func all(_ path: String) throws -> [AuditRecord] {
        var out: [AuditRecord] = []
        try AuditReader.records(in: path) { out.append($0); return true }
        return out
    }

    @Test func recordRoundTrip() throws {
        var r = record(3)
        r.id = 42
        var bytes: [UInt8] = []
        AuditFraming.encode(r, into: &bytes)
        guard case .record(let back, let size) = bytes.withUnsafeBytes({ AuditFraming.parse($0, at: 0) }) else {
            Issue.record("not parsed")
            return
        }
        #expect(size == bytes.count)
        #expect(back == r)
        #expect(back.args.map(\.0) == ["household", "note", "people"])
        #expect(back.error == "forbidden" && back.bodyBytes == 3 && back.code == 403)
        // A flipped payload byte fails the checksum.
        bytes[bytes.count - 3] ^= 0x20
        guard case .invalid(let why) = bytes.withUnsafeBytes({ AuditFraming.parse($0, at: 0) }) else {
            Issue.record("a flipped byte was accepted")
            return
        }
        #expect(why == "checksum mismatch")
    }

    @Test func appendedRecordsAreNumberedDurableAndPrivate() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try await filled(dir, 5)
        #expect(log.lastID == 5)
        log.stop()
        let records = try all(dir + "/audit/audit.log")
        #expect(records.map(\.id) == [1, 2, 3, 4, 5])
        #expect(records[2] == { var r = record(3); r.id = 3; return r }())
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/audit/audit.log")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let dirMode = try FileManager.default.attributesOfItem(atPath: dir + "/audit")[.posixPermissions] as? Int
        #expect(dirMode == 0o700)
    }

    /// Crash injection: a crash mid-append leaves any prefix of the last record on disk. Each
    /// is cut off at the next start, the records before it survive, and ids go on.
    @Test func everyTruncationOfTheLastRecordIsCutOffAndIdsGoOn() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        (try await filled(dir, 4)).stop()
        let path = dir + "/audit/audit.log"
        let whole = try FileSystem.readAll(path)
        var three: [UInt8] = []
        for i in 1...3 { var r = record(i); r.id = UInt64(i); AuditFraming.encode(r, into: &three) }
        let lastStart = three.count
        for cut in stride(from: lastStart + 1, to: whole.count, by: 7) {
            FileManager.default.createFile(atPath: path, contents: Data(whole[..<cut]))
            let log = try AuditLog(stateDir: dir, fsync: .off, logger: logger)
            #expect(log.lastID == 3, "cut at \(cut)")
            #expect(FileSystem.size(path) == Int64(lastStart), "the torn record is cut off (cut at \(cut))")
            await log.record(record(9))
            log.stop()
            #expect(try all(path).map(\.id) == [1, 2, 3, 4], "a new record 4 follows (cut at \(cut))")
        }
    }

    @Test func aFlippedByteInTheLastRecordIsATornTail() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        (try await filled(dir, 3)).stop()
        let path = dir + "/audit/audit.log"
        var bytes = try FileSystem.readAll(path)
        bytes[bytes.count - 2] ^= 0xFF
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let log = try AuditLog(stateDir: dir, fsync: .off, logger: logger)
        log.stop()
        #expect(try all(path).map(\.id) == [1, 2])
    }

    /// Damage before the tail does not stop the daemon: the file is kept aside, a new log
    /// continues the ids and says what happened in its first record.
    @Test func damageBeforeTheTailMovesTheLogAsideAndContinuesTheIds() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        (try await filled(dir, 5)).stop()
        let path = dir + "/audit/audit.log"
        var bytes = try FileSystem.readAll(path)
        bytes[AuditFraming.headerSize + 20] ^= 0xFF  // inside record 1's payload
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let log = try AuditLog(stateDir: dir, fsync: .always, logger: logger)
        await log.record(record(7))
        log.stop()
        let aside = try FileManager.default.contentsOfDirectory(atPath: dir + "/audit").filter { $0.hasPrefix("audit.log.damaged-") }
        #expect(aside.count == 1)
        #expect(try FileSystem.readAll(dir + "/audit/" + aside[0]) == bytes, "the damaged file is kept as it was")
        let records = try all(path)
        #expect(records.map(\.id) == [6, 7], "ids are never reused")
        #expect(records.first?.command == "audit.damaged")
        #expect(records.first?.args.first?.1 == .string(dir + "/audit/" + aside[0]))
    }

    @Test func queriesFilterPageAndTail() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try AuditLog(stateDir: dir, fsync: .off, logger: logger)
        defer { log.stop() }
        for i in 1...30 {
            await log.record(record(i, uid: i % 2 == 0 ? 1000 : 1001, command: i % 5 == 0 ? "supplies.cash.spend" : "visits.record",
                                    plugin: i % 5 == 0 ? "supplies" : "visits"))
        }
        // No since, no after: the last `limit` (a tail).
        let tail = try AuditQuery(limit: 4).run(on: log)
        #expect(tail.records.map(\.id) == [27, 28, 29, 30])
        #expect(tail.next == nil)
        // Forward pages from `since`, with filters.
        var q = AuditQuery(since: 1_641_960_000 + 10, uid: 1000, plugin: "visits", limit: 3)
        let first = try q.run(on: log)
        #expect(first.records.map(\.id) == [12, 14, 16])
        #expect(first.next == 16)
        q.after = first.next
        let second = try q.run(on: log)
        #expect(second.records.map(\.id) == [18, 22, 24])
        q.after = 24
        let last = try q.run(on: log)
        #expect(last.records.map(\.id) == [26, 28])
        #expect(last.next == nil)
        #expect(try AuditQuery(command: "supplies.*", limit: 100).run(on: log).records.map(\.id) == [5, 10, 15, 20, 25, 30])
        #expect(try AuditQuery(command: "visits.*", after: 28, limit: 100).run(on: log).records.map(\.id) == [29])
    }

    /// A reader's memory is its window and its page: with a window smaller than one record,
    /// every record is still read, one at a time.
    @Test func theWindowedReaderSeesEveryRecordWhateverTheWindow() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        (try await filled(dir, 20)).stop()
        let path = dir + "/audit/audit.log"
        for window in [16, 100, 333, 1 << 20] {
            var ids: [UInt64] = []
            let stop = try AuditReader.records(in: path, window: window) { ids.append($0.id); return true }
            #expect(ids == Array(1...20), "window \(window)")
            #expect(stop.clean)
        }
        // A reader bounded by `end` (the writer's written length) never sees a later record.
        var seen = 0
        var three: [UInt8] = []
        for i in 1...3 { var r = record(i); r.id = UInt64(i); AuditFraming.encode(r, into: &three) }
        try AuditReader.records(in: path, end: three.count + 5, window: 64) { _ in seen += 1; return true }
        #expect(seen == 3)
    }

    @Test func redactionKeepsIdsKindsAndNumbersAndHidesPersonalValues() {
        let spec = CommandSpec("emergencies.open", summary: "", role: .operator, arguments: [
            .positional("household"), .named("kind", .choice(["labour", "fall"])), .named("caller"), .named("phone"),
            .named("note"), .named("address"), .named("people", .int(min: 0)), .named("at", .time), .named("items"),
            .named("donor"), .named("force", .bool),
        ], mutates: true)
        let words: [Argument] = [
            .positional("3-2-501"), .named(key: "kind", value: "labour"), .named(key: "caller", value: "王芳"),
            .named(key: "phone", value: "13812345678"), .named(key: "note", value: "孕38周"), .named(key: "address", value: "东门旁"),
            .named(key: "people", value: "3"), .named(key: "at", value: "2022-01-12T04:00+08:00"),
            .named(key: "items", value: "降压药:2盒"), .named(key: "donor", value: "李四"), .named(key: "force", value: "yes"),
            .named(key: "nickname", value: "小王"), .positional("extra words"),
        ]
        let args = AuditRedaction.redact(command: spec, arguments: words)
        let shown = Dictionary(uniqueKeysWithValues: args)
        #expect(shown["household"] == .string("3-2-501"))
        #expect(shown["kind"] == .string("labour"))
        #expect(shown["people"] == .int(3))
        #expect(shown["at"] == .string("2022-01-12T04:00+08:00"))
        #expect(shown["force"] == .string("yes"))
        for personal in ["caller", "phone", "note", "address", "items", "donor", "nickname", "_extra"] {
            #expect(shown[personal] == AuditRedaction.hidden, "\(personal) is hidden")
        }
        // A value that is not valid for its type may be text typed in the wrong place.
        let bad = AuditRedaction.redact(command: spec, arguments: [.named(key: "people", value: "王芳"), .named(key: "kind", value: "王芳")])
        #expect(bad.map(\.1) == [AuditRedaction.hidden, AuditRedaction.hidden])
        let serialized = JSON.object(args).serialized
        for text in ["王芳", "13812345678", "孕38周", "东门旁", "降压药", "李四", "小王"] {
            #expect(!serialized.contains(text), "\(text) must not reach the audit log")
        }
    }

    @Test func policyAuditsChangesPrivilegedCommandsAndOperatorsPersonalReads() {
        let change = CommandSpec("visits.record", summary: "", role: .operator, mutates: true)
        let export = CommandSpec("roster.export", summary: "", role: .operator)
        let household = CommandSpec("roster.household", summary: "")
        let stats = CommandSpec("roster.stats", summary: "")
        #expect(AuditPolicy.kind(of: change, callerRole: .viewer) == .change, "a viewer's refused attempt is audited")
        #expect(AuditPolicy.kind(of: export, callerRole: .operator) == .read)
        #expect(AuditPolicy.kind(of: household, callerRole: .operator) == .read)
        #expect(AuditPolicy.kind(of: household, callerRole: .viewer) == nil, "viewers see it masked")
        #expect(AuditPolicy.kind(of: stats, callerRole: .admin) == nil, "counts only")
    }
}
