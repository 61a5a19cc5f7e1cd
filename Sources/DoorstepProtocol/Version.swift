/// Versions reported by `hello`, `status` and `--version`.
public enum DoorstepVersion {
    /// The daemon and client release.
    public static let release = "0.1.0"
    /// The control protocol version (docs/protocol.md).
    public static let proto = 1
}
