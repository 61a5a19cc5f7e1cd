import Glibc

/// `--output FILE`: the replies' data written into a new file only its owner can read
/// (mode 0600 whatever the umask), since backups and exports hold every name, phone and note.
///
/// The data goes into `FILE.tmp-PID` first and becomes FILE only when every reply succeeded,
/// so a refused or broken request never leaves a half backup that looks like one.
struct PrivateOutput {
    let path: String
    let temporary: String
    let fd: Int32
    let force: Bool

    /// Why FILE cannot be written, said to the user as is.
    struct Refusal: Error {
        let message: String
    }

    /// Commands whose replies hold personal data in clear: written to a file by the shell,
    /// doorstepctl warns when the file is readable by others.
    static let personalStreams: Set<String> = ["state.backup", "state.export", "roster.export", "reading.invites.export"]

    /// Checks FILE and creates the temporary file; the error message says what to do.
    static func create(_ path: String, force: Bool) -> Result<PrivateOutput, Refusal> {
        guard !path.isEmpty, !path.utf8.contains(0) else { return .failure(Refusal(message: "--output: give a file name")) }
        var st = stat()
        if lstat(path, &st) == 0 {
            let type = st.st_mode & S_IFMT
            guard type == S_IFREG else {
                let what = type == S_IFCHR ? (path.hasPrefix("/dev/") ? "a terminal or device" : "a character device")
                    : type == S_IFDIR ? "a directory" : type == S_IFLNK ? "a symbolic link" : "not a regular file"
                return .failure(Refusal(message: "--output \(path): \(what); --output writes a new private file (mode 0600): give a file name"))
            }
            guard force else {
                return .failure(Refusal(message: "--output \(path): the file exists; give a new name, or --force to replace it"))
            }
        }
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return .failure(Refusal(message: "--output \(path): cannot create \(temporary): \(String(cString: strerror(errno)))")) }
        // 0600 whatever the umask; the umask can only take bits away, this says it outright.
        _ = fchmod(fd, 0o600)
        return .success(PrivateOutput(path: path, temporary: temporary, fd: fd, force: force))
    }

    /// Makes the file standard output, so replies are printed into it exactly as they would
    /// be on a pipe.
    func redirectStandardOutput() {
        _ = dup2(fd, 1)
    }

    /// Syncs the data and gives it its name; nil on success, else why it failed (the
    /// temporary file is removed).
    func commit() -> String? {
        defer { close(fd) }
        guard fsync(fd) == 0 else { return failed("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        if force {
            guard rename(temporary, path) == 0 else { return failed("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))") }
        } else {
            // link() refuses an existing name: a file made meanwhile is never replaced.
            guard link(temporary, path) == 0 else { return failed("cannot create \(path): \(String(cString: strerror(errno)))") }
            unlink(temporary)
        }
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
        return nil
    }

    /// Removes the temporary file: the request failed, nothing is kept.
    func discard() {
        close(fd)
        unlink(temporary)
    }

    private func failed(_ message: String) -> String {
        unlink(temporary)
        return message
    }

    /// A warning when standard output is a file others may read and `words` ask for personal
    /// data (the shell created it: doorstepctl cannot choose its mode); nil otherwise.
    static func exposureWarning(for words: [String]) -> String? {
        guard let command = commandName(words), personalStreams.contains(command) else { return nil }
        var st = stat()
        guard fstat(1, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_mode & 0o077 != 0 else { return nil }
        let mode = String(st.st_mode & 0o777, radix: 8)
        return "doorstepctl: warning: \(command) writes personal data (names, phones, notes) to standard output, a file with mode "
            + "0\(mode) that other users may read; run chmod 600 on it, or use doorstepctl --output FILE \(command) (created 0600)"
    }

    /// Why `words` must not go to a terminal, or nil: a streamed `state.backup` is every
    /// resident's personal data as base64, useless on a screen and left in its scrollback.
    static func terminalRefusal(for words: [String]) -> String? {
        guard commandName(words) == "state.backup", !words.contains(where: { $0.hasPrefix("dir=") }) else { return nil }
        return "doorstepctl: state.backup streams every name, phone and note of the state; it is not shown on a terminal. "
            + "Write it to a private file: doorstepctl --output FILE state.backup (created 0600), or have the daemon write "
            + "it: doorstepctl state.backup dir=DIR"
    }

    /// `state.backup` of `state.backup …` or `state backup …`.
    static func commandName(_ words: [String]) -> String? {
        guard let first = words.first else { return nil }
        if first.contains(".") { return first }
        return words.count > 1 ? first + "." + words[1] : first
    }
}
