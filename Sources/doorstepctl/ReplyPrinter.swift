import Glibc

/// Reads the daemon's lines, finds where each reply ends, prints human text (or the JSON
/// unchanged) and keeps the worst status for the exit code.
struct ReplyPrinter {
    let json: Bool
    /// Replies not to print (the `hello format=json` the client sent first).
    var skip: Int
    private(set) var received = 0
    private(set) var worst: Int32 = 0
    private var dataLinesInReply = 0
    private var partial: [UInt8] = []

    init(json: Bool, skip: Int) {
        self.json = json
        self.skip = skip
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
        if json {
            if line.hasPrefix("{\"event\"") {
                Output.out(line)
                return
            }
            received += 1
            let code = Self.jsonCode(line)
            // The injected hello's reply is skipped, but never a refusal (403, 429) in its place.
            if skip > 0, let code, code < 400 {
                skip -= 1
                return
            }
            Output.out(line)
            record(code: code)
            return
        }
        var rest = Substring(line)
        if rest.hasPrefix("@"), let space = rest.firstIndex(of: " ") { rest = rest[rest.index(after: space)...] }
        let digits = rest.prefix(3)
        guard digits.count == 3, let code = Int(digits) else {
            Output.out(line)
            return
        }
        let separator = rest.dropFirst(3).first
        let text = String(rest.dropFirst(4))
        if code >= 600 {
            Output.out(text)
            return
        }
        if separator == "-" {
            if skip == 0 { Output.out(text) }
            dataLinesInReply += 1
            return
        }
        received += 1
        defer { dataLinesInReply = 0 }
        if skip > 0 {
            skip -= 1
            return
        }
        if code >= 400 {
            Output.err("doorstepctl: \(code) \(text)")
        } else if dataLinesInReply == 0 {
            Output.out(text)
        }
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
