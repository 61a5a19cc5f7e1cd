import CSystemd
import Glibc
public import Logging

/// Chooses where logs go: the journal's native protocol when stderr is connected to journald
/// (`JOURNAL_STREAM` matches stderr), plain lines on stderr otherwise.
public enum LogOutput {
    /// Bootstraps swift-log once, from `@main`; `identifier` is the journal's SYSLOG_IDENTIFIER.
    public static func bootstrap(level: Logger.Level, identifier: String = "doorstepd") {
        let journal = stderrIsJournal()
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = journal ? JournalLogHandler(label: label, identifier: identifier) : StderrLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Whether stderr is the journal stream systemd connected (sd_journal_stream_fd semantics).
    static func stderrIsJournal() -> Bool {
        guard let raw = getenv("JOURNAL_STREAM") else { return false }
        let parts = String(cString: raw).split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }

    /// `key=value` pairs of metadata, sorted for stable output.
    static func flatten(_ metadata: Logger.Metadata) -> [(String, String)] {
        metadata.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
    }
}

/// Plain `LEVEL label: message key=value…` lines on stderr.
struct StderrLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var line = "\(event.level.rawValue.uppercased()) \(label): \(event.message)"
        for (k, v) in LogOutput.flatten(all) { line += " \(k)=\(v)" }
        line += "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}

/// Structured entries through `sd_journal_sendv`: `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`,
/// `CODE_*`, and each metadata key as `DOORSTEP_KEY` (`message_id` becomes `MESSAGE_ID`).
struct JournalLogHandler: LogHandler {
    let label: String
    var identifier = "doorstepd"
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// `plugin.id` → `DOORSTEP_PLUGIN_ID`: journal field names are `[A-Z0-9_]`.
    static func fieldName(_ key: String) -> String {
        if key == "message_id" { return "MESSAGE_ID" }
        let mapped = key.uppercased().map { c -> Character in (c.isLetter && c.isASCII) || c.isNumber ? c : "_" }
        return "DOORSTEP_" + String(mapped)
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var fields = [
            "MESSAGE=\(event.message)", "PRIORITY=\(Self.priority(event.level))", "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)", "CODE_LINE=\(event.line)", "CODE_FUNC=\(event.function)", "DOORSTEP_LOGGER=\(label)",
        ]
        for (k, v) in LogOutput.flatten(all) { fields.append("\(Self.fieldName(k))=\(v)") }
        let cStrings = fields.map { strdup($0)! }
        defer { cStrings.forEach { free($0) } }
        var iovecs = cStrings.map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: strlen($0)) }
        _ = iovecs.withUnsafeMutableBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
    }
}
