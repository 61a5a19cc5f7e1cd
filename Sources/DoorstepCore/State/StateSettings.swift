/// `[daemon]` keys of the durable state.
public struct StateSettings: Sendable, Equatable {
    /// `fsync = "always" | "off"`.
    public var fsync: FsyncMode = .always
    /// A new journal segment starts past this size.
    public var segmentBytes = 64 * 1024 * 1024
    /// Snapshot after this many events since the last snapshot…
    public var snapshotEveryEvents = 100_000
    /// …or this many journal bytes.
    public var snapshotEveryBytes = 64 * 1024 * 1024

    public init() {}
}
