import Foundation
import Testing

/// One community of the district test: a real `doorstepd` on its own state directory (which
/// survives restarts), and its `doorstep-ship`, both restartable and killable.
final class Community: @unchecked Sendable {
    let index: Int
    /// `c007`: the `[ship] community` name.
    let name: String
    let dir: TempDirectory
    var socket: String { dir.file("d.sock") }
    var configPath: String { dir.file("doorstep.toml") }
    private(set) var daemon: ChildProcess?
    private(set) var shipper: ChildProcess?
    /// Every personal text this community's script typed (names, phones, notes, need texts,
    /// donors, reasons): none may reach the district's database.
    private(set) var secrets: [String] = []
    private let lock = NSLock()

    init(index: Int, zone: String, databaseURL: String, batchSize: Int = 50) {
        self.index = index
        name = String(format: "c%03d", index)
        dir = TempDirectory()
        dir.write("doorstep.toml", """
            [daemon]
            socket = "\(dir.file("d.sock"))"
            state_dir = "\(dir.file("state"))"
            fsync = "off"
            timezone = "\(zone)"
            snapshot_every_events = 100000000
            snapshot_every_bytes = 68719476736

            [ship]
            database_url = "\(databaseURL)"
            community = "\(name)"
            batch_size = \(batchSize)
            """)
    }

    func remember(_ texts: [String]) {
        lock.lock()
        secrets += texts
        lock.unlock()
    }

    static var childEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "JOURNAL_STREAM", "LISTEN_FDS", "LISTEN_PID", "DOORSTEP_SOCKET", "WATCHDOG_USEC"] { env.removeValue(forKey: key) }
        return env
    }

    /// Starts the daemon and waits until it answers `ping`.
    func startDaemon() throws {
        daemon = try ChildProcess(Binaries.doorstepd, ["--config", configPath], environment: Self.childEnvironment, stderr: dir.file("daemon.log"))
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let c = try? LineClient(socket: socket), let reply = try? c.request("ping", timeout: 5), reply.final.hasPrefix("200") { return }
            guard daemon?.isRunning == true else { break }
            usleep(20_000)
        }
        throw LineClient.Failure(description: "\(name): doorstepd did not start: \(log("daemon.log"))")
    }

    /// Stops the daemon: SIGTERM (a clean stop) or SIGKILL (a crash), and waits for it.
    func stopDaemon(crash: Bool) {
        guard let daemon, daemon.isRunning else { return }
        kill(daemon.pid, crash ? SIGKILL : SIGTERM)
        if daemon.wait(timeout: 30) == nil { kill(daemon.pid, SIGKILL); _ = daemon.wait(timeout: 10) }
    }

    func startShipper() throws {
        shipper = try ChildProcess(Binaries.doorstepShip, ["--config", configPath], environment: Self.childEnvironment,
                                   stderr: dir.file("ship.log"))
    }

    /// kill -9 of the shipper.
    func killShipper() {
        guard let shipper, shipper.isRunning else { return }
        kill(shipper.pid, SIGKILL)
        _ = shipper.wait(timeout: 10)
    }

    /// SIGTERM; returns its exit status.
    func stopShipper() -> Int32? {
        guard let shipper else { return nil }
        if shipper.isRunning { kill(shipper.pid, SIGTERM) }
        return shipper.wait(timeout: 30)
    }

    func log(_ file: String) -> String { (try? String(contentsOfFile: dir.file(file), encoding: .utf8)) ?? "" }

    /// Sends the requests pipelined on one connection and returns each reply's lines; a
    /// request may carry a heredoc body (its lines after the first).
    func send(_ requests: [String], timeout: Double = 120) throws -> [[String]] {
        guard !requests.isEmpty else { return [] }
        let client = try LineClient(socket: socket)
        try client.send(requests.joined(separator: "\n") + "\n")
        return try requests.map { _ in try client.readReply(timeout: timeout) }
    }

    /// Sends the requests and fails the test for each that is not answered 2xx.
    func expectOK(_ requests: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let replies = try send(requests)
        for (request, reply) in zip(requests, replies) where !reply.final.hasPrefix("2") {
            Issue.record("\(name): \(request.prefix(120)) → \(reply.joined(separator: " | "))", sourceLocation: sourceLocation)
        }
    }

    /// The `data` of one request in JSON mode.
    func data(_ request: String, timeout: Double = 60) throws -> Any {
        let client = try LineClient(socket: socket)
        _ = try client.requestJSON("hello format=json")
        let reply = try client.requestJSON(request, timeout: timeout)
        guard reply["ok"] as? Bool == true else { throw LineClient.Failure(description: "\(name): \(request): \(reply)") }
        return reply["data"] ?? NSNull()
    }

    /// Waits until the daemon's journal stops growing (reactions between plugins done).
    func settle() throws {
        var last: Int?
        var stable = 0
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let seq = (try data("state.status") as? [String: Any])?["seq"] as? Int
            if seq == last { stable += 1 } else { stable = 0 }
            if stable >= 3 { return }
            last = seq
            usleep(150_000)
        }
        throw LineClient.Failure(description: "\(name): the journal did not settle")
    }

    /// Every event the daemon committed: `(seq, index, name)` in order, from `state.export`.
    func committedEvents() throws -> [(seq: Int, index: Int, name: String, data: Any)] {
        let records = try #require(try data("state.export", timeout: 120) as? [[String: Any]])
        var out: [(seq: Int, index: Int, name: String, data: Any)] = []
        for record in records {
            guard let seq = record["seq"] as? Int, let events = record["events"] as? [[String: Any]] else { continue }
            for (i, e) in events.enumerated() { out.append((seq, i, e["name"] as? String ?? "", e["data"] ?? NSNull())) }
        }
        return out
    }
}
