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
