import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import ShipCore
import Synchronization

/// The district's PostgreSQL, as the shipper uses it: one connection, the community's
/// registration and cursor, and batches written with the cursor in one statement.
final class DistrictStore: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// The schema version this shipper writes to (the highest migration of `sql/`).
    static let schemaVersion = 2

    private init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Connects, as `application_name` `doorstep-ship COMMUNITY` (so `pg_stat_activity` shows
    /// which community a connection ships).
    static func connect(_ url: DatabaseURL, password: String?, community: String, logger: Logger) async throws -> DistrictStore {
        var configuration: PostgresConnection.Configuration
        if let socket = url.socketPath {
            configuration = .init(unixSocketPath: socket, username: url.user, password: password ?? url.password, database: url.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch url.tls {
            case .disable: tls = .disable
            case .prefer:
                var c = TLSConfiguration.makeClientConfiguration()
                c.certificateVerification = .none
                tls = .prefer(try NIOSSLContext(configuration: c))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = .init(host: url.host ?? "localhost", port: url.port, username: url.user, password: password ?? url.password,
                                  database: url.database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", "doorstep-ship \(community)".prefix(63).description)]
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        return DistrictStore(connection: connection, logger: logger)
    }

    func close() async { try? await connection.close() }

    /// Runs `operation`, but fails as soon as the connection closes.
    ///
    /// postgres-nio 1.33 never completes a query written to a connection that has already
    /// closed (the server went away between two batches): it writes the query with no promise,
    /// and the write fails silently. So each operation is raced against the connection's close;
    /// the losing task is left suspended (a few objects, once per lost connection). A commit
    /// whose answer is lost this way is "in doubt": the next session reads the cursor the
    /// database has, so it is neither repeated nor lost.
    func guarded<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let once = Once()
        let closeFuture = connection.closeFuture
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            Task {
                do {
                    let value = try await operation()
                    if once.first() { c.resume(returning: value) }
                } catch {
                    if once.first() { c.resume(throwing: error) }
                }
            }
            closeFuture.whenComplete { _ in
                if once.first() { c.resume(throwing: ShipFailure.unexpected("the district database closed the connection")) }
            }
        }
    }

    private final class Once: Sendable {
        private let done = Mutex(false)
        /// True the first time only.
        func first() -> Bool { done.withLock { d in defer { d = true }; return !d } }
    }

    // MARK: schema

    enum SchemaProblem: Error, CustomStringConvertible {
        case missing(String)
        case old(have: Int, want: Int)
        case newer(have: Int, want: Int)

        var description: String {
            switch self {
            case .missing(let url):
                return "the district database \(url) has no doorstep schema (district.schema_migrations is missing): "
                    + "run doorstep-ship --migrate once, as a role that may create tables (docs/district.md)"
            case .old(let have, let want):
                return "the district database is at schema version \(have); this doorstep-ship needs \(want): run doorstep-ship --migrate"
            case .newer(let have, let want):
                return "the district database is at schema version \(have), newer than this doorstep-ship knows (\(want)): "
                    + "it still ships, but upgrade it"
            }
        }
    }

    /// Checks the schema is there and recent enough.
    func checkSchema(url: DatabaseURL) async throws {
        var exists = false
        for try await e in try await connection.query("SELECT to_regclass('district.schema_migrations') IS NOT NULL", logger: logger)
            .decode(Bool.self) { exists = e }
        guard exists else { throw SchemaProblem.missing(url.description) }
        var version: Int64 = 0
        for try await v in try await connection.query("SELECT COALESCE(max(version), 0)::int8 FROM district.schema_migrations", logger: logger)
            .decode(Int64.self) { version = v }
        if version < Self.schemaVersion { throw SchemaProblem.old(have: Int(version), want: Self.schemaVersion) }
        if version > Self.schemaVersion { logger.warning("\(SchemaProblem.newer(have: Int(version), want: Self.schemaVersion))") }
    }

    /// Registers the community (its partition on first use) and returns its cursor.
    func register(community: String, timezone: String, personal: Bool) async throws -> UInt64 {
        let rows = try await connection.query("SELECT district.register_community(\(community), \(timezone), \(personal))::int8", logger: logger)
        for try await seq in rows.decode(Int64.self) { return UInt64(seq) }
        throw ShipFailure.unexpected("district.register_community returned no row")
    }

    /// Records the range `from…oldest-1` the district will never have (`--resume-from-oldest`)
    /// and moves the cursor to `oldest`, together.
    func recordGap(community: String, from: UInt64, oldest: UInt64) async throws {
        let logger = self.logger
        try await connection.withTransaction(logger: logger) { conn in
            try await conn.query("""
                INSERT INTO district.gaps (community, from_seq, to_seq) VALUES (\(community), \(Int64(from)), \(Int64(oldest) - 1))
                """, logger: logger)
            try await conn.query("""
                UPDATE district.cursors SET seq = \(Int64(oldest)), updated_at = clock_timestamp()
                WHERE community = \(community) AND seq < \(Int64(oldest))
                """, logger: logger)
        }
    }

    // MARK: batches

    /// Writes `rows` and moves the cursor from `expected` to `through` in one transaction:
    /// either both are committed or neither (a shipper killed in the middle leaves nothing;
    /// PostgreSQL rolls back when the connection drops). Rows already there (the record at the
    /// cursor, read again after a restart) are skipped. Returns the rows inserted.
    ///
    /// - Throws: ``ShipFailure/cursorMoved`` when the cursor is not at `expected` (another
    ///   shipper wrote as this community): nothing is written.
    func write(community: String, rows: [ShipRow], expected: UInt64, through: UInt64) async throws -> Int {
        var binds = PostgresBindings(capacity: 7)
        binds.append(community)
        binds.append(rows.map { Int64($0.seq) })
        binds.append(rows.map { Int32($0.index) })
        binds.append(rows.map(\.name))
        binds.append(rows.map(\.time))
        binds.append(rows.map(\.data))
        binds.append(rows.map { $0.withheld.joined(separator: "\u{1F}") })
        let insert = PostgresQuery(unsafeSQL: """
            INSERT INTO district.events (community, seq, idx, name, occurred_at, data, withheld)
            SELECT $1, u.seq, u.idx, u.name, u.occurred_at::timestamptz, u.data::jsonb,
                   CASE WHEN u.withheld = '' THEN '{}'::text[] ELSE string_to_array(u.withheld, E'\\x1f') END
            FROM unnest($2::int8[], $3::int4[], $4::text[], $5::text[], $6::text[], $7::text[])
                 AS u(seq, idx, name, occurred_at, data, withheld)
            ON CONFLICT (community, seq, idx) DO NOTHING
            """, binds: binds)
        let logger = self.logger
        return try await connection.withTransaction(logger: logger) { conn in
            let inserted = rows.isEmpty ? 0 : Int(try await conn.query(insert, logger: logger).get().metadata.rows ?? 0)
            let moved = try await conn.query("""
                UPDATE district.cursors SET seq = \(Int64(through)), shipped = shipped + \(Int64(inserted)), batches = batches + 1,
                       updated_at = clock_timestamp()
                WHERE community = \(community) AND seq = \(Int64(expected))
                """, logger: logger).get().metadata.rows ?? 0
            guard moved == 1 else { throw ShipFailure.cursorMoved(community: community, expected: expected) }
            return inserted
        }
    }

    // MARK: migrations

    /// Applies what `migrations` has that the database does not, each in its own transaction,
    /// under an advisory lock (two `--migrate` at once take turns). Returns what was applied.
    func migrate(_ migrations: [Migration]) async throws -> [Migration] {
        try await connection.query("SELECT pg_advisory_lock(hashtext('doorstep-ship: migrate'))", logger: logger)
        do {
            try await connection.query("CREATE SCHEMA IF NOT EXISTS district", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS district.schema_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied: [Int: String] = [:]
            let rows = try await connection.query("SELECT version::int8, checksum FROM district.schema_migrations", logger: logger)
            for try await (version, checksum) in rows.decode((Int64, String).self) { applied[Int(version)] = checksum }
            let todo = try Migrations.pending(migrations, applied: applied)
            let logger = self.logger
            for m in todo {
                let statements = SQLStatements.split(m.sql)
                do {
                    try await connection.withTransaction(logger: logger) { conn in
                        for statement in statements { try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                        try await conn.query("""
                            INSERT INTO district.schema_migrations (version, name, checksum) VALUES (\(m.version), \(m.name), \(m.checksum))
                            """, logger: logger)
                    }
                } catch {
                    throw ShipFailure.migration("\(m.version)_\(m.name).sql: \(Self.describe(error))")
                }
            }
            try await connection.query("SELECT pg_advisory_unlock(hashtext('doorstep-ship: migrate'))", logger: logger)
            return todo
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext('doorstep-ship: migrate'))", logger: logger)
            throw error
        }
    }

    /// A database error as a person reads it (PSQLError's own description hides the server's
    /// message on purpose).
    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let info = e.serverInfo {
                var text = [info[.severity], info[.sqlState]].compactMap { $0 }.joined(separator: " ") + ": " + (info[.message] ?? "")
                if let detail = info[.detail] { text += " (\(detail))" }
                if let hint = info[.hint] { text += "; hint: \(hint)" }
                return text
            }
            var text = "\(e.code)"
            if let underlying = e.underlying { text += ": \(underlying)" }
            return text
        }
        if let e = error as? PostgresTransactionError {
            return [e.beginError, e.closureError, e.commitError, e.rollbackError].compactMap { $0.map(describe) }.joined(separator: "; ")
        }
        return "\(error)"
    }
}

/// The shipper's own failures.
enum ShipFailure: Error, CustomStringConvertible {
    case cursorMoved(community: String, expected: UInt64)
    case migration(String)
    case unexpected(String)
    case config(String)

    var description: String {
        switch self {
        case .cursorMoved(let community, let expected):
            return "community \(community): the district's cursor is no longer at seq \(expected), where this shipper left it: another "
                + "doorstep-ship wrote as community \(community) (a shipper that was stopped while committing, or a second one: two "
                + "daemons must never share a [ship] community name); starting again from the district's cursor"
        case .migration(let text): return "migration failed: \(text)"
        case .unexpected(let text): return text
        case .config(let text): return text
        }
    }
}
