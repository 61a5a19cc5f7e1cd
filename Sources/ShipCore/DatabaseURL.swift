/// `[ship] database_url`: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&host=/run/postgresql]`,
/// as libpq reads it (`postgresql://` too). A `host=` parameter naming a directory connects
/// through the Unix socket `DIR/.s.PGSQL.PORT` (a database on the same machine).
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable {
        /// No TLS (a Unix socket, or a private network).
        case disable
        /// TLS if the server offers it, without checking its certificate.
        case prefer
        /// TLS, and the server's certificate must be valid for the host.
        case require
    }

    public var user: String
    public var password: String?
    /// A host name or address, or nil with ``socketDirectory``.
    public var host: String?
    public var port: Int
    /// `?host=/run/postgresql`: the directory of the server's Unix socket.
    public var socketDirectory: String?
    public var database: String
    public var tls: TLSMode

    /// `…/.s.PGSQL.5432` for a Unix-socket URL.
    public var socketPath: String? { socketDirectory.map { $0 + "/.s.PGSQL.\(port)" } }

    /// The URL with its password replaced by `***`: for logs and errors.
    public var description: String {
        let where_ = host.map { h in (h.contains(":") ? "[\(h)]" : h) + ":\(port)" } ?? ""
        var text = "postgres://\(user)\(password == nil ? "" : ":***")@\(where_)/\(database)"
        var query: [String] = []
        if let socketDirectory {
            query.append("host=\(socketDirectory)")
            if port != 5432 { query.append("port=\(port)") }
        } else if tls != .prefer {
            query.append("sslmode=\(tls.rawValue)")
        }
        if !query.isEmpty { text += "?" + query.joined(separator: "&") }
        return text
    }

    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Reads `text`; the problem says what is wrong and what a good one looks like.
    public static func parse(_ text: String) throws(Problem) -> DatabaseURL {
        let example = "expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require], "
            + "or postgres://USER@/DATABASE?host=/run/postgresql for a local socket"
        var rest = Substring(text)
        var scheme: Substring = ""
        for prefix in ["postgres://", "postgresql://"] where rest.hasPrefix(prefix) { scheme = rest.prefix(prefix.count) }
        guard !scheme.isEmpty else { throw Problem(description: "database_url: \(example)") }
        rest = rest.dropFirst(scheme.count)
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw Problem(description: "database_url: no database named; \(example)") }
        let database = try decode(rest[rest.index(after: slash)...])
        let authority = rest[..<slash]
        guard let at = authority.lastIndex(of: "@") else { throw Problem(description: "database_url: no user named; \(example)") }
        let userInfo = authority[..<at], hostPort = authority[authority.index(after: at)...]
        var user: String, password: String?
        if let colon = userInfo.firstIndex(of: ":") {
            user = try decode(userInfo[..<colon])
            password = try decode(userInfo[userInfo.index(after: colon)...])
        } else {
            user = try decode(userInfo)
        }
        guard !user.isEmpty else { throw Problem(description: "database_url: no user named; \(example)") }
        guard !database.isEmpty else { throw Problem(description: "database_url: no database named; \(example)") }
        var host: String?, port = 5432
        if !hostPort.isEmpty {
            var h = hostPort, p: Substring?
            if h.hasPrefix("[") {
                guard let close = h.firstIndex(of: "]") else { throw Problem(description: "database_url: unclosed '[' in the host") }
                let after = h[h.index(after: close)...]
                if after.hasPrefix(":") { p = after.dropFirst() } else if !after.isEmpty {
                    throw Problem(description: "database_url: unexpected '\(after)' after the host")
                }
                h = h[h.index(after: h.startIndex)..<close]
            } else if let colon = h.lastIndex(of: ":") {
                p = h[h.index(after: colon)...]
                h = h[..<colon]
            }
            if let p {
                guard let n = Int(p), (1...65_535).contains(n) else { throw Problem(description: "database_url: port '\(p)' is not 1–65535") }
                port = n
            }
            host = String(h)
        }
        var tls: TLSMode?
        var socketDirectory: String?
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = String(parts[0]), value = parts.count > 1 ? try decode(parts[1]) : ""
            switch key {
            case "sslmode":
                switch value {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: throw Problem(description: "database_url: sslmode=\(value): expected disable, prefer or require")
                }
            case "host":
                guard value.hasPrefix("/") else {
                    throw Problem(description: "database_url: host=\(value): expected the directory of the server's socket (/run/postgresql)")
                }
                socketDirectory = value
            case "port":
                guard let n = Int(value), (1...65_535).contains(n) else { throw Problem(description: "database_url: port=\(value) is not 1–65535") }
                port = n
            case "user": user = value
            case "password": password = value
            case "dbname": break
            default:
                throw Problem(description: "database_url: unknown parameter '\(key)'; doorstep-ship reads sslmode, host (a socket directory), port, user, password")
            }
        }
        if socketDirectory == nil, host == nil || host!.isEmpty {
            throw Problem(description: "database_url: no host; \(example)")
        }
        if socketDirectory != nil { host = nil }
        return DatabaseURL(user: user, password: password, host: host, port: port, socketDirectory: socketDirectory,
                           database: database, tls: tls ?? (socketDirectory != nil ? .disable : .prefer))
    }

    /// Percent-decoding (`%40` is `@`).
    static func decode(_ s: Substring) throws(Problem) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%") {
                guard bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) else {
                    throw Problem(description: "database_url: a '%' must be followed by two hex digits (%40 for '@')")
                }
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
