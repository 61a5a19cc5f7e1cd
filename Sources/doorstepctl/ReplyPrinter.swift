import Glibc

/// Reads the daemon's lines, finds where each reply ends, prints human text (or the JSON
/// unchanged) and keeps the worst status for the exit code.
struct ReplyPrinter {
    let json: Bool
    /// Replies not to print (the `hello`s the client sent first: `format=json`, `lang=`).
    var skip: Int
    private(set) var received = 0
    private(set) var worst: Int32 = 0
    private var dataLinesInReply = 0
    private var partial: [UInt8] = []

    /// Separators between replies (several requests, output on a terminal): a blank line, then
    /// `» REQUEST` before each reply. Off, the output is exactly the replies' lines.
    var separators = false
    /// The request lines whose replies are still to come, for the separators.
    var requests: [String] = []
    private var printedReplies = 0
    private var headerShown = false
    /// Colours of separators and, in the session, of errors.
    var paint = Paint(on: false)
    /// The interactive session: errors without the `doorstepctl:` prefix, coloured.
    var session = false
    /// The session reconnects on `408 idle_timeout`: the refusal is noted, not printed.
    var swallowIdleTimeout = false
    private(set) var idleTimedOut = false
    /// Lines printed for the replies (to separate replies in the session).
    private(set) var printedLines = 0
    /// Event lines, when someone else prints them (the session, above its prompt); nil prints here.
    var onEvent: ((String) -> Void)?

    init(json: Bool, skip: Int) {
        self.json = json
        self.skip = skip
    }

    /// Codes that close the connection: a reply in their place is never skipped.
    private static func isRefusal(_ code: Int?) -> Bool { code == 403 || code == 408 || code == 429 }

    private mutating func header() {
        guard separators, !headerShown else { return }
        headerShown = true
        let request = requests.isEmpty ? "" : requests.removeFirst()
        if printedReplies > 0 { Output.out("") }
        Output.out(paint.boldCyan("» " + request))
    }

    private mutating func replyDone() {
        if separators, !headerShown, !requests.isEmpty { requests.removeFirst() }
        headerShown = false
        printedReplies += 1
    }

    private mutating func out(_ text: String) {
        header()
        printedLines += 1
        Output.out(text)
    }

    mutating func feed(_ bytes: some Sequence<UInt8>) {
        for b in bytes {
            if b == 0x0A {
                handle(String(decoding: partial, as: UTF8.self))
                partial.removeAll(keepingCapacity: true)
            } else {
                partial.append(b)
            }
        }
    }

    private mutating func handle(_ line: String) {
        // A JSON line on a text connection: someone typed `hello format=json` (in the session,
        // or in piped requests). It is a whole reply; shown as the daemon sent it.
        if json || line.hasPrefix("{\"") {
            if line.hasPrefix("{\"event\"") {
                if let onEvent { onEvent(line) } else { Output.out(line) }
                return
            }
            // A text data line (`hello format=text` typed on a JSON connection): printed as
            // sent; only the reply's final line ends it.
            if !line.hasPrefix("{"), Self.isTextDataLine(line) {
                out(line)
                return
            }
            let code = Self.jsonCode(line)
            if swallowIdleTimeout, code == 408, line.contains("\"error\":\"idle_timeout\"") || line.hasPrefix("408 idle_timeout") {
                idleTimedOut = true
                return
            }
            received += 1
            // The injected hellos' replies are skipped, but never a refusal (403, 408, 429) in
            // their place; a `hello lang=` the daemon does not know (422) is skipped too.
            if skip > 0, let code, code < 500, !Self.isRefusal(code) {
                skip -= 1
                return
            }
            out(line)
            replyDone()
            record(code: code)
            return
        }
        var rest = Substring(line)
        if rest.hasPrefix("@"), let space = rest.firstIndex(of: " ") { rest = rest[rest.index(after: space)...] }
        let digits = rest.prefix(3)
        guard digits.count == 3, let code = Int(digits) else {
            out(line)
            return
        }
        let separator = rest.dropFirst(3).first
        let text = String(rest.dropFirst(4))
        if code >= 600 {
            if let onEvent { onEvent(String(rest)) } else { Output.out(text) }
            return
        }
        if separator == "-" {
            if skip == 0 { out(text) }
            dataLinesInReply += 1
            return
        }
        if swallowIdleTimeout, code == 408, text.hasPrefix("idle_timeout") {
            idleTimedOut = true
            return
        }
        received += 1
        defer { dataLinesInReply = 0 }
        if skip > 0, code < 500, !Self.isRefusal(code) {
            skip -= 1
            return
        }
        if code >= 400 {
            header()
            printedLines += 1
            if session {
                Output.err(paint.boldRed("\(code) ") + paint.red(text))
            } else {
                Output.err("doorstepctl: \(code) \(text)")
            }
        } else if dataLinesInReply == 0 {
            out(text)
        }
        replyDone()
        record(code: code)
    }

    private mutating func record(code: Int?) {
        let status: Int32
        switch code ?? 500 {
        case 200..<400: status = 0
        case 400..<500: status = 1
        default: status = 3
        }
        worst = max(worst, status)
    }

    /// `NNN-…` or `@TAG NNN-…`: a data line of a text reply, not its end.
    static func isTextDataLine(_ line: String) -> Bool {
        var rest = Substring(line)
        if rest.hasPrefix("@"), let space = rest.firstIndex(of: " ") { rest = rest[rest.index(after: space)...] }
        let bytes = Array(rest.utf8.prefix(4))
        return bytes.count == 4 && bytes[..<3].allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && bytes[3] == UInt8(ascii: "-")
    }

    /// The `"code":NNN` of a JSON reply line (always present, see docs/protocol.md §4), or the
    /// code of a text line (a refusal is sent before the connection has chosen JSON).
    static func jsonCode(_ line: String) -> Int? {
        if !line.hasPrefix("{") { return Int(line.prefix(3)) }
        guard let range = line.utf8.firstRange(of: "\"code\":".utf8) else { return nil }
        return Int(String(decoding: line.utf8[range.upperBound...].prefix { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self))
    }
}

/// Unbuffered writes to stdout and stderr.
enum Output {
    static func out(_ text: String) { writeAll(1, text + "\n") }
    static func err(_ text: String) { writeAll(2, text + "\n") }

    static func writeAll(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(n)
        }
    }
}
