import CEditLine
import DoorstepProtocol
import Glibc

/// The interactive session's line editor: libedit with emacs keys (or the user's ~/.editrc),
/// in-memory history, Tab bound to the client's completion, Ctrl-C clearing the line. It reads
/// the keyboard itself (libedit's read hook) so it can also watch the daemon's socket while
/// waiting for a key: events are printed above the prompt, and an idle-timeout close is noticed.
final class LineEditor {
    /// What Tab offers: the candidates for the text before the cursor, and the word they complete.
    typealias CompletionHook = (_ textBeforeCursor: String) -> (candidates: [Candidate], current: String)

    /// The one editor of the process, for libedit's C callbacks.
    nonisolated(unsafe) static var active: LineEditor?

    private let el: OpaquePointer
    private let history: OpaquePointer
    private var prompt: UnsafeMutablePointer<CChar>
    private var pendingUTF8: [UInt8] = []
    /// The last ``readLine(prompt:)`` ended with Ctrl-C.
    private(set) var interrupted = false

    var complete: CompletionHook?
    /// A descriptor to watch while waiting for keys (the daemon's socket), and what to do when
    /// it is readable. The handler may print with ``printAbovePrompt(_:)`` and set this to -1.
    var watchedFD: Int32 = -1
    var onWatchedReadable: (() -> Void)?

    init?(program: String) {
        // libedit converts between the terminal's bytes and its wide characters by the locale:
        // UTF-8 from the environment, or C.UTF-8, never ASCII (Chinese names must edit).
        if setlocale(LC_CTYPE, "") == nil || !Self.localeIsUTF8() { setlocale(LC_CTYPE, "C.UTF-8") }
        guard let el = doorstep_el_open(program), let history = history_init() else { return nil }
        self.el = el
        self.history = history
        prompt = strdup("> ")
        LineEditor.active = self
        doorstep_history_size(history, 1000)
        doorstep_history_unique(history, 1)
        doorstep_el_history(el, history)
        doorstep_el_editor(el, "emacs")
        // Signals are the client's own (Signals): libedit's handlers would re-raise Ctrl-C.
        doorstep_el_signal(el, 0)
        doorstep_el_prompt(el, Self.promptCallback, 1)
        doorstep_el_getc(el, Self.getcCallback)
        doorstep_el_add_function(el, "doorstep-complete", "complete a command, argument or value", Self.completeCallback)
        doorstep_el_add_function(el, "doorstep-interrupt", "discard the line", Self.interruptCallback)
        doorstep_el_bind(el, "^I", "doorstep-complete")
        doorstep_el_bind(el, "^C", "doorstep-interrupt")
        // History search on the arrows' neighbours, as in bash: Ctrl-R searches backwards.
        doorstep_el_bind(el, "^R", "em-inc-search-prev")
        // Ctrl-W deletes the word before the cursor, as in bash (libedit's emacs map kills a region).
        doorstep_el_bind(el, "^W", "ed-delete-prev-word")
        _ = el_source(el, nil)
    }

    deinit { close() }

    private var closed = false

    /// Gives the terminal back (its modes as they were) and frees the editor.
    func close() {
        guard !closed else { return }
        closed = true
        el_end(el)
        history_end(history)
        free(prompt)
        if LineEditor.active === self { LineEditor.active = nil }
    }

    /// One line typed at `prompt` (escape sequences between `\u{1}` are not counted as columns),
    /// without its newline; "" after Ctrl-C; nil at Ctrl-D on an empty line or end of input.
    func readLine(prompt text: String) -> String? {
        free(prompt)
        prompt = strdup(text)
        interrupted = false
        var count: Int32 = 0
        guard let raw = el_gets(el, &count), count > 0 else { return nil }
        if interrupted {
            // As a shell shows it: ^C where the cursor was, then a fresh prompt below.
            Output.writeAll(1, "^C\n")
            return ""
        }
        var line = String(cString: raw)
        while line.hasSuffix("\n") || line.hasSuffix("\r") { line.removeLast() }
        return line
    }

    func addHistory(_ line: String) { doorstep_history_enter(history, line) }

    /// Tab completes (the default), or inserts a tab (while a heredoc body is typed or pasted).
    func setCompletion(_ on: Bool) {
        doorstep_el_bind(el, "^I", on ? "doorstep-complete" : "ed-insert")
    }

    /// Prints `text` (whole lines) where the prompt is, then draws the prompt and the line again.
    func printAbovePrompt(_ text: String) {
        Output.writeAll(1, "\r\u{1b}[K" + text)
        doorstep_el_refresh(el)
    }

    // MARK: libedit callbacks

    private static let promptCallback: doorstep_prompt_fn = { _ in LineEditor.active?.prompt }

    private static let getcCallback: doorstep_getc_fn = { _, out in
        guard let editor = LineEditor.active, let out else { return -1 }
        return editor.readCharacter(into: out)
    }

    private static let completeCallback: doorstep_command_fn = { _, _ in
        guard let editor = LineEditor.active else { return UInt8(CC_ERROR) }
        return editor.completeAtCursor()
    }

    private static let interruptCallback: doorstep_command_fn = { _, _ in
        LineEditor.active?.interrupted = true
        return UInt8(CC_NEWLINE)
    }

    /// libedit's read hook: one character from the keyboard, decoded from UTF-8; 1 read,
    /// 0 end of input, -1 error. Ctrl-C (a signal, the terminal keeps ISIG) reads as ^C.
    private func readCharacter(into out: UnsafeMutablePointer<wchar_t>) -> Int32 {
        while true {
            if Signals.takeInterrupt() {
                pendingUTF8.removeAll()
                out.pointee = 3
                return 1
            }
            if Signals.terminating { return 0 }
            if Signals.takeResize() { el_resize(el) }
            if Signals.takeResumed() {
                // Back from Ctrl-Z and fg: the shell may have left the terminal in its own mode;
                // libedit thinks it is still in editing mode, so it is told cooked, then raw.
                doorstep_el_prep_terminal(el, 0)
                doorstep_el_prep_terminal(el, 1)
                doorstep_el_refresh(el)
            }
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
            if watchedFD >= 0 { fds.append(pollfd(fd: watchedFD, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return -1
            }
            if fds.count > 1, fds[1].revents != 0 {
                onWatchedReadable?()
                if fds[0].revents == 0 { continue }
            }
            guard fds[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let n = read(0, &byte, 1)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return -1
            }
            if n == 0 { return 0 }
            if let scalar = decode(byte) {
                out.pointee = wchar_t(bitPattern: scalar)
                return 1
            }
        }
    }

    /// Feeds one byte of UTF-8; the scalar once complete (U+FFFD for a malformed sequence).
    private func decode(_ byte: UInt8) -> UInt32? {
        if pendingUTF8.isEmpty, byte < 0x80 { return UInt32(byte) }
        pendingUTF8.append(byte)
        let lead = pendingUTF8[0]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        guard pendingUTF8.count >= length else { return nil }
        defer { pendingUTF8.removeAll() }
        var decoder = UTF8()
        var iterator = pendingUTF8.makeIterator()
        if case .scalarValue(let s) = decoder.decode(&iterator) { return s.value }
        return 0xFFFD
    }

    /// Tab: the one candidate is inserted (with a space when it is a whole word), else their
    /// common prefix, else the candidates are listed under the line.
    private func completeAtCursor() -> UInt8 {
        guard let complete, let info = el_line(el)?.pointee else { return UInt8(CC_ERROR) }
        let length = info.cursor - info.buffer
        let before = info.buffer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
        let (candidates, current) = complete(before)
        let usable = candidates.filter { $0.word.hasPrefix(current) }
        guard !usable.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
        if usable.count == 1 {
            let c = usable[0]
            el_insertstr(el, String(c.word.dropFirst(current.count)) + (c.final ? " " : ""))
            return UInt8(CC_REFRESH)
        }
        let common = Completer.commonPrefix(usable)
        if common.count > current.count {
            el_insertstr(el, String(common.dropFirst(current.count)))
            return UInt8(CC_REFRESH)
        }
        Output.writeAll(1, "\n" + Self.listing(usable, width: Terminal.width()))
        return UInt8(CC_REDISPLAY)
    }

    /// Candidates one per line with their descriptions (a few), or in columns (many).
    static func listing(_ candidates: [Candidate], width: Int) -> String {
        let shown = candidates.prefix(300)
        var out = ""
        let nameWidth = min(shown.map { DisplayWidth.of($0.display) }.max() ?? 0, 32)
        if shown.count <= 24, shown.contains(where: { !$0.help.isEmpty }) {
            for c in shown {
                var line = DisplayWidth.pad(c.display, to: nameWidth)
                if !c.help.isEmpty { line += "  " + c.help }
                out += truncate(line, to: max(width - 1, 20)) + "\n"
            }
        } else {
            let column = nameWidth + 2
            let perLine = max(1, (width - 1) / column)
            for (i, c) in shown.enumerated() {
                let last = i % perLine == perLine - 1 || i == shown.count - 1
                out += last ? c.display + "\n" : DisplayWidth.pad(c.display, to: column)
            }
        }
        if candidates.count > shown.count { out += "… and \(candidates.count - shown.count) more\n" }
        return out
    }

    /// `text` cut to `width` columns, with an ellipsis when cut.
    static func truncate(_ text: String, to width: Int) -> String {
        guard DisplayWidth.of(text) > width else { return text }
        var out = ""
        var used = 0
        for ch in text {
            let w = DisplayWidth.of(String(ch))
            if used + w > width - 1 { break }
            out.append(ch)
            used += w
        }
        return out + "…"
    }

    private static func localeIsUTF8() -> Bool {
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).uppercased()
        return name == "UTF-8" || name == "UTF8"
    }
}
