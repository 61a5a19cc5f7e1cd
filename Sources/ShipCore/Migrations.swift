/// The versioned SQL of `sql/`: `001_schema.sql`, `002_views.sql`, … applied in order by
/// `doorstep-ship --migrate`, each once, recorded in `district.schema_migrations`.
public struct Migration: Sendable, Equatable {
    public var version: Int
    /// The file name without its number and `.sql` (`schema`).
    public var name: String
    public var sql: String

    /// FNV-1a of the text: a migration changed after it was applied is refused.
    public var checksum: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in sql.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

public enum Migrations {
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The migrations among `files` (name → text), in version order. Files that are not
    /// `NNN_name.sql` are refused, so a typo is not silently skipped.
    public static func plan(_ files: [(name: String, text: String)]) throws(Problem) -> [Migration] {
        var out: [Migration] = []
        for file in files where file.name.hasSuffix(".sql") {
            let stem = file.name.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0,
                stem[..<underscore].allSatisfy(\.isNumber)
            else {
                throw Problem("\(file.name): a migration is named NNN_name.sql (001_schema.sql)")
            }
            if let clash = out.first(where: { $0.version == version }) {
                throw Problem("\(file.name) and \(clash.version)_\(clash.name).sql have the same version \(version)")
            }
            out.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: file.text))
        }
        return out.sorted { $0.version < $1.version }
    }

    /// What is left to apply, given what the database records (version → checksum).
    ///
    /// - Throws: when an applied migration's file changed (a new migration must be added
    ///   instead), or the database has a version this shipper does not know (a newer one
    ///   migrated it: upgrade this one).
    public static func pending(_ all: [Migration], applied: [Int: String]) throws(Problem) -> [Migration] {
        let known = Set(all.map(\.version))
        if let newer = applied.keys.filter({ !known.contains($0) }).max() {
            throw Problem("the database has migration \(newer), which this doorstep-ship does not know: a newer release migrated it; upgrade this one")
        }
        for m in all {
            if let sum = applied[m.version], sum != m.checksum {
                throw Problem("migration \(m.version)_\(m.name).sql was changed after it was applied (checksum \(sum) in the database, \(m.checksum) now); "
                    + "put the change in a new migration instead")
            }
        }
        return all.filter { applied[$0.version] == nil }
    }
}

/// Splits SQL text into statements at the semicolons outside quotes, comments and
/// dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`): the extended query protocol takes one
/// statement at a time.
public enum SQLStatements {
    public static func split(_ sql: String) -> [String] {
        let b = Array(sql.utf8)
        var out: [String] = []
        var start = 0, i = 0
        func flush(_ end: Int) {
            let text = String(decoding: b[start..<end], as: UTF8.self)
            if !isBlank(text) { out.append(text.trimmingSpaces) }
        }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "-"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "-") {
                while i < b.count, b[i] != 0x0A { i += 1 }
            } else if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") {
                var depth = 1
                i += 2
                while i < b.count, depth > 0 {
                    if b[i] == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") { depth += 1; i += 1 }
                    else if b[i] == UInt8(ascii: "*"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "/") { depth -= 1; i += 1 }
                    i += 1
                }
            } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                i += 1
                while i < b.count {
                    if b[i] == c {
                        if i + 1 < b.count, b[i + 1] == c { i += 2; continue }
                        break
                    }
                    i += 1
                }
                i += 1
            } else if c == UInt8(ascii: "$"), let tag = dollarTag(b, i) {
                i += tag.count
                while i < b.count, !(b[i] == UInt8(ascii: "$") && b[i...].starts(with: tag)) { i += 1 }
                i += tag.count
            } else if c == UInt8(ascii: ";") {
                flush(i)
                i += 1
                start = i
            } else {
                i += 1
            }
        }
        if start < b.count { flush(b.count) }
        return out
    }

    /// `$$` or `$tag$` starting at `i` (not `$1`, a parameter).
    static func dollarTag(_ b: [UInt8], _ i: Int) -> [UInt8]? {
        var j = i + 1
        while j < b.count, b[j] == UInt8(ascii: "_") || (b[j] >= 0x41 && b[j] <= 0x5A) || (b[j] >= 0x61 && b[j] <= 0x7A)
            || (j > i + 1 && b[j] >= 0x30 && b[j] <= 0x39) { j += 1 }
        guard j < b.count, b[j] == UInt8(ascii: "$") else { return nil }
        return Array(b[i...j])
    }

    /// Only spaces and comments.
    static func isBlank(_ text: String) -> Bool {
        for line in text.split(separator: "\n") {
            let t = line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
            if !t.isEmpty, !t.hasPrefix("--") { return false }
        }
        return true
    }
}

extension String {
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        let isSpace = { (s: Unicode.Scalar) in s == " " || s == "\n" || s == "\t" || s == "\r" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
