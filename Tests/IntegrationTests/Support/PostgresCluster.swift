import Foundation

/// A private PostgreSQL 15 cluster for one test: `initdb` into a temporary directory, started
/// with `pg_ctl` on a Unix socket there and a free TCP port on 127.0.0.1, as user `postgres`
/// when the test runs as root (PostgreSQL refuses to run as root).
final class PostgresCluster: @unchecked Sendable {
    static let bin = "/usr/lib/postgresql/15/bin"

    let dir: TempDirectory
    let port: Int
    var socketDirectory: String { dir.file("sock") }
    var data: String { dir.file("data") }
    let settings: [String]

    /// Why a cluster cannot run here, or nil (Debian's postgresql-15 is installed, and the test
    /// is root with a `postgres` user, or is not root at all).
    static var unavailable: String? {
        guard FileManager.default.isExecutableFile(atPath: bin + "/initdb") else {
            return "PostgreSQL 15 is not installed (\(bin)/initdb missing; scripts/install-deps.sh installs postgresql)"
        }
        if getuid() == 0, getpwnam("postgres") == nil { return "running as root, and there is no user 'postgres' to run the server as" }
        if getuid() == 0, !FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") { return "runuser is missing (util-linux)" }
        return nil
    }

    /// The account the server runs as, and the prefix to run its programs as it.
    private var asOwner: [String] { getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : [] }

    init(settings: [String] = []) throws {
        dir = TempDirectory()
        port = Self.freePort()
        self.settings = settings
        if getuid() == 0, let pw = getpwnam("postgres") {
            chown(dir.path, pw.pointee.pw_uid, pw.pointee.pw_gid)
        }
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        if getuid() == 0, let pw = getpwnam("postgres") { chown(socketDirectory, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        let initdb = try run(asOwner + [Self.bin + "/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        guard initdb.status == 0 else { throw LineClient.Failure(description: "initdb failed: \(initdb.out)\(initdb.err)") }
        try start()
        let created = try psql("CREATE DATABASE district", database: "postgres")
        _ = created
    }

    /// A TCP port nobody listens on now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func start() throws {
        let options = (["-p \(port)", "-k \(socketDirectory)", "-c listen_addresses=127.0.0.1"] + settings.map { "-c \($0)" }).joined(separator: " ")
        let r = try run(asOwner + [Self.bin + "/pg_ctl", "-D", data, "-l", dir.file("server.log"), "-w", "-t", "60", "-o", options, "start"])
        guard r.status == 0 else { throw LineClient.Failure(description: "pg_ctl start failed: \(r.out)\(r.err)\n\(log)") }
    }

    /// `immediate`: as a crash (no checkpoint; recovery replays the WAL at the next start).
    func stop(immediate: Bool = false) {
        _ = try? run(asOwner + [Self.bin + "/pg_ctl", "-D", data, "-w", "-t", "60", "-m", immediate ? "immediate" : "fast", "stop"])
    }

    var log: String { (try? String(contentsOfFile: dir.file("server.log"), encoding: .utf8)) ?? "" }

    /// `postgres://postgres@/district?host=SOCKETDIR&port=PORT`.
    var url: String { "postgres://postgres@/district?host=\(socketDirectory)&port=\(port)" }

    /// Runs SQL with psql; rows as tab-separated fields.
    @discardableResult
    func psql(_ sql: String, database: String = "district") throws -> [[String]] {
        let r = try run(["/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-h", socketDirectory, "-p", "\(port)",
                         "-U", "postgres", "-d", database, "-c", sql])
        guard r.status == 0 else { throw LineClient.Failure(description: "psql failed (\(r.status)): \(r.err)\nSQL: \(sql.prefix(500))") }
        return r.out.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Starts psql in the background (it runs `sql` and exits).
    func psqlInBackground(_ sql: String) throws -> ChildProcess {
        try ChildProcess("/usr/bin/psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-p", "\(port)", "-U", "postgres",
                                           "-d", "district", "-c", sql], stdout: dir.file("background.out"), stderr: dir.file("background.err"))
    }

    /// The whole database as pg_dump writes it (every table, every column).
    func dump() throws -> String {
        let r = try run(["/usr/bin/pg_dump", "-h", socketDirectory, "-p", "\(port)", "-U", "postgres", "--data-only", "district"])
        guard r.status == 0 else { throw LineClient.Failure(description: "pg_dump failed: \(r.err)") }
        return r.out
    }

    private func run(_ command: [String]) throws -> (status: Int32, out: String, err: String) {
        try DaemonProcess.run(command[0], Array(command.dropFirst()))
    }

    func remove() {
        stop(immediate: true)
        dir.remove()
    }
}
