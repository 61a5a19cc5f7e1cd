/// What a purge removed (or would remove) from one plugin, by kind (`residents`, `visits`):
/// the number of records whose personal data went.
public typealias PurgeCounts = [String: Int]

/// One kind of personal data a plugin holds, for `privacy.report`.
public struct PersonalDataHeld: Sendable, Equatable {
    /// What it is (`residents`, `donations`), as in ``PurgeCounts``.
    public var kind: String
    /// Records holding personal data now (already purged ones not counted).
    public var count: Int
    /// When the oldest of them was recorded (epoch seconds), nil when there are none.
    public var oldest: Int64?
    /// How many of them are older than the cutoff the report asked about (0 without one).
    public var purgeDue: Int

    public init(kind: String, count: Int, oldest: Int64?, purgeDue: Int) {
        self.kind = kind
        self.count = count
        self.oldest = oldest
        self.purgeDue = purgeDue
    }
}

/// A plugin holding personal data that `privacy.purge` and `[privacy] retain_days` can remove,
/// so the core stays generic (docs/plugins.md §9b).
///
/// A purge is a change like any other: the plugin records one ``PrivacyPurged`` whose apply
/// blanks names, phones, notes and free text of what is older than `before` (deterministic and
/// idempotent: it runs again on every replay). The host then snapshots every plugin and
/// removes the journal segments that held the data.
public protocol PurgeablePlugin: StatefulPlugin {
    /// Removes (or with `dryRun` only counts) the personal data of records older than `before`
    /// (epoch seconds), returning what per kind. Without `dryRun` and with something to
    /// remove, records one ``PrivacyPurged`` before returning.
    func purge(before: Int64, dryRun: Bool) async throws -> PurgeCounts

    /// What personal data the plugin holds now, per kind; `purgeDue` counts what is older than
    /// `cutoff` (nil: no retention configured, 0).
    func personalData(cutoff: Int64?) async -> [PersonalDataHeld]
}

/// The journal record of a purge (each purgeable plugin registers it in its own handlers:
/// `.on(PrivacyPurged.self) { state, purged, _ in _ = state.purge(before: purged.before) }`).
public struct PrivacyPurged: StateEvent {
    public static let eventType = "privacy.purged"
    public static let schemaVersion = 1
    /// Records older than this (epoch seconds) lose their personal data.
    public var before: Int64

    public init(before: Int64) { self.before = before }
}
