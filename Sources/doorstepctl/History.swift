import Glibc

/// The session's history file: `$XDG_STATE_HOME/doorstep/history` (default
/// `~/.local/state/doorstep/history`), one request line per line, mode 0600.
///
/// Each line is appended as it is entered, so sessions side by side lose nothing of each other;
/// the file is cut back to the newest ``limit`` lines when a session starts with more than twice
/// that. A line typed with a leading space is not recorded (as bash's `ignorespace`).
struct HistoryFile {
    static let limit = 1000

    let path: String?
    private var last: String?

    init(path: String? = HistoryFile.defaultPath()) { self.path = path }

    static func defaultPath() -> String? {
        let base: String
        if let state = Terminal.env("XDG_STATE_HOME"), state.hasPrefix("/") {
            base = state
        } else if let home = Terminal.env("HOME") {
            base = home + "/.local/state"
        } else {
            return nil
        }
        return base + "/doorstep/history"
    }

    /// The newest entries, oldest first; the file is trimmed when it has grown past twice the limit.
    mutating func load() -> [String] {
        guard let path, let bytes = DoorstepCtl.readAll(path) else { return [] }
        let lines = bytes.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }.filter { !$0.isEmpty }
        let kept = Array(lines.suffix(Self.limit))
        if lines.count > 2 * Self.limit { rewrite(kept) }
        last = kept.last
        return kept
    }

    /// Records `line` (not a blank one, one starting with a space, or the same as the last).
    mutating func append(_ line: String) {
        guard let path, !line.isEmpty, !line.hasPrefix(" "), line != last, !line.contains("\n") else { return }
        last = line
        guard makeDirectory(for: path) else { return }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        Output.writeAll(fd, line + "\n")
        Glibc.close(fd)
    }

    /// Whether a line is kept in history at all (see ``append(_:)``).
    static func records(_ line: String) -> Bool { !line.isEmpty && !line.hasPrefix(" ") }

    private func rewrite(_ lines: [String]) {
        guard let path else { return }
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        Output.writeAll(fd, lines.map { $0 + "\n" }.joined())
        Glibc.close(fd)
        rename(temporary, path)
    }

    /// `mkdir -p` of the file's directory, private to the user (0700).
    private func makeDirectory(for file: String) -> Bool {
        var dir = ""
        let parts = file.split(separator: "/").dropLast()
        for part in parts {
            dir += "/" + part
            if mkdir(dir, 0o700) != 0, errno != EEXIST { return false }
        }
        return true
    }
}
