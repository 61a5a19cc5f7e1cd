import DoorstepProtocol

/// Counts the requests in a stream of lines the way the daemon does: blank and `#` lines get
/// no reply, and heredoc body lines are not requests.
struct RequestCounter {
    private var heredoc: [UInt8]?
    private var partial: [UInt8] = []
    /// Keep each request's line in ``lines`` (for the separators between replies).
    var keepLines = false
    /// The request lines counted so far, when ``keepLines`` (the caller takes them).
    var lines: [String] = []

    /// Feeds raw input; returns how many complete requests it finished.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> Int {
        var count = 0
        for b in bytes {
            if b == 0x0A {
                if line(partial) { count += 1 }
                partial.removeAll(keepingCapacity: true)
            } else {
                partial.append(b)
            }
        }
        return count
    }

    /// Whether input ended in the middle of a line.
    var hasPartialLine: Bool { !partial.isEmpty }

    private mutating func line(_ raw: [UInt8]) -> Bool {
        var bytes = raw[...]
        if bytes.last == 0x0D { bytes = bytes.dropLast() }
        if let word = heredoc {
            if bytes.elementsEqual(word) { heredoc = nil }
            return false
        }
        let content = bytes.drop { $0 == 0x20 || $0 == 0x09 }
        if content.isEmpty || content.first == UInt8(ascii: "#") { return false }
        heredoc = Lexer.heredocWord(bytes).map { Array($0.utf8) }
        if keepLines { lines.append(String(decoding: content, as: UTF8.self)) }
        return true
    }

}
