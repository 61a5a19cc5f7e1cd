public import ShipCore

/// `[ship]`: what `doorstep-ship` sends to the district's PostgreSQL (docs/district.md). The
/// daemon only checks it, so `doorstepd --check-config` catches a typo before the shipper runs.
public struct ShipSettings: Sendable, Equatable {
    /// Where the district's database is; nil when the section does not set it (the shipper
    /// refuses to start without it).
    public var databaseURL: DatabaseURL?
    /// A file whose first line is the database password (systemd's `LoadCredential=`), so the
    /// config, which operators may read, holds none; empty: the URL's password, if any.
    public var passwordFile = ""
    /// The community's name in the district: the key of its rows (and partition).
    public var community = ""
    /// Events written per transaction, at most.
    public var batchSize = 500
    /// Event patterns shipped (`*` = everything the privacy filter lets out).
    public var events = ["*"]
    /// Ship event data as published, free text included (see README: personal data then
    /// leaves the community).
    public var personal = false
    /// The daemon's socket; empty: `[daemon] socket` (`$DOORSTEP_SOCKET` and `--socket` win).
    public var socket = ""

    public init() {}

    /// Keys `[ship]` accepts.
    static let keys = ["database_url", "password_file", "community", "batch_size", "events", "personal", "socket"]
}
