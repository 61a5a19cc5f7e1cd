/// The two protocols the load generator speaks: Doorstep's line protocol and Redis's RESP.
enum Wire: String, CaseIterable, Sendable {
    case doorstep
    case redis

    /// One request on the wire for a template whose `{key}`, `{n}` and `{value}` are filled in.
    ///
    /// Doorstep takes the template as a line; Redis takes its space-separated words as a RESP array.
    func encode(_ template: Template, key: String, n: Int, value: String) -> [UInt8] {
        let words = template.words.map { $0.fill(key: key, n: n, value: value) }
        switch self {
        case .doorstep:
            return Array((words.joined(separator: " ") + "\n").utf8)
        case .redis:
            var out = Array("*\(words.count)\r\n".utf8)
            for word in words {
                let bytes = Array(word.utf8)
                out += Array("$\(bytes.count)\r\n".utf8) + bytes + [13, 10]
            }
            return out
        }
    }

    /// Reads complete replies from `bytes[from..<to]`, calling `reply(ok)` for each, and
    /// returns where the first incomplete reply starts.
    func scanReplies(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int, reply: (Bool, Int, Int) -> Void) -> Int {
        var i = from
        switch self {
        case .doorstep:
            // Every line is `NNN-…` (more follows) or `NNN …` (the final line of a reply).
            var lineStart = i
            while i < to {
                if bytes[i] == 0x0A {
                    if i - lineStart >= 4, bytes[lineStart + 3] == 0x20 {
                        reply(bytes[lineStart] == UInt8(ascii: "2"), lineStart, i)
                    }
                    lineStart = i + 1
                }
                i += 1
            }
            // Only whole lines are consumed; a partial line stays for the next read.
            return lineStart
        case .redis:
            while i < to {
                guard let eol = Self.lineEnd(bytes, from: i, to: to) else { return i }
                let kind = bytes[i]
                if kind == UInt8(ascii: "$") {
                    var length = 0, negative = false
                    for j in (i + 1)..<eol {
                        if bytes[j] == UInt8(ascii: "-") { negative = true } else { length = length * 10 + Int(bytes[j] &- 48) }
                    }
                    if negative {
                        reply(false, i, eol)
                        i = eol + 2
                        continue
                    }
                    let end = eol + 2 + length + 2
                    guard end <= to else { return i }
                    reply(true, i, eol)
                    i = end
                } else {
                    reply(kind != UInt8(ascii: "-"), i, eol)
                    i = eol + 2
                }
            }
            return i
        }
    }

    /// The index of the `\r` of the next `\r\n` in `from..<to`.
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        var j = from
        while j + 1 < to {
            if bytes[j] == 13, bytes[j + 1] == 10 { return j }
            j += 1
        }
        return nil
    }
}

/// A request template such as `roster.household {key}` or `SET {key} {value}`.
struct Template: Sendable {
    enum Part: Sendable {
        case text(String)
        case key
        case n
        case value
    }

    /// One word: literal text and placeholders, concatenated.
    struct Word: Sendable {
        var parts: [Part]

        func fill(key: String, n: Int, value: String) -> String {
            var out = ""
            for part in parts {
                switch part {
                case .text(let text): out += text
                case .key: out += key
                case .n: out += String(n)
                case .value: out += value
                }
            }
            return out
        }
    }

    let words: [Word]
    let usesKey: Bool

    init(_ text: String) {
        var usesKey = false
        words = text.split(separator: " ").map { word in
            var parts: [Part] = []
            var rest = Substring(word)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                if open > rest.startIndex { parts.append(.text(String(rest[..<open]))) }
                switch rest[rest.index(after: open)..<close] {
                case "key": parts.append(.key); usesKey = true
                case "n": parts.append(.n)
                case "value": parts.append(.value)
                default: parts.append(.text(String(rest[open...close])))
                }
                rest = rest[rest.index(after: close)...]
            }
            if !rest.isEmpty { parts.append(.text(String(rest))) }
            return Word(parts: parts)
        }
        self.usesKey = usesKey
    }
}
