import DoorstepProtocol

/// One thing Tab may put in place of the word being typed.
struct Candidate: Equatable {
    /// The whole word (`sex=F`, `visits.record`, `3-2-`).
    var word: String
    /// What a list of choices shows (`F` for `sex=F`).
    var display: String
    /// A one-line description (a command's or argument's summary), may be empty.
    var help: String = ""
    /// A complete word: a space follows it. `name=` and `3-2-` are not.
    var final: Bool = true
}

/// Household ids (and buildings) the daemon knows, looked up when Tab asks for them.
protocol HouseholdSource {
    /// Ids starting with `prefix`, in the daemon's order; nil when the daemon cannot say.
    func households(prefix: String) -> [String]?
}

/// What can follow the words typed so far: command names, argument names, enum values,
/// household ids. Shared by the interactive session and the shell scripts (`__complete`).
struct Completer {
    let catalog: Catalog
    var households: (any HouseholdSource)?
    /// Commands of the client itself, offered in the command position (`exit`, `watch`).
    var localCommands: [(name: String, help: String)] = []

    /// Candidates for `current`, the word under the cursor, after the complete `words`.
    func complete(words: [String], current: String) -> [Candidate] {
        var words = words[...]
        if let first = words.first, first.hasPrefix("@") { words = words.dropFirst() }
        if words.isEmpty { return commandNames(prefix: current, local: true, runnable: true) }
        guard let (command, taken) = catalog.resolve(Array(words)) else {
            return spacedCommand(words: Array(words), current: current)
        }
        return arguments(of: command, given: Array(words.dropFirst(taken)), current: current)
    }

    /// Command names starting with `prefix`, with their summaries; `runnable`: only those the
    /// caller's role may run (`help` still completes every name).
    func commandNames(prefix: String, local: Bool = false, runnable: Bool = false) -> [Candidate] {
        var out = catalog.commands.filter { $0.name.hasPrefix(prefix) && (!runnable || catalog.allowed($0)) }
            .map { Candidate(word: $0.name, display: $0.name, help: $0.summary) }
        if local {
            out += localCommands.filter { $0.name.hasPrefix(prefix) }.map { Candidate(word: $0.name, display: $0.name, help: $0.help) }
        }
        return out
    }

    /// `roster leader a` typed with spaces: the next word of a longer command name.
    private func spacedCommand(words: [String], current: String) -> [Candidate] {
        let stem = words.joined(separator: ".") + "."
        var seen: Set<String> = []
        var out: [Candidate] = []
        for c in catalog.commands where c.name.hasPrefix(stem + current) {
            let next = c.name.dropFirst(stem.count).split(separator: ".", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if seen.insert(next).inserted {
                out.append(Candidate(word: next, display: next, help: c.name == stem + next ? c.summary : ""))
            }
        }
        return out
    }

    private func arguments(of command: Catalog.Command, given: [String], current: String) -> [Candidate] {
        var named: Set<String> = []
        var positionalCount = 0
        for word in given {
            if let (key, _) = Self.namedArgument(word) { named.insert(key) } else { positionalCount += 1 }
        }
        // key=value: the values of that argument.
        if let (key, partial) = Self.namedArgument(current) {
            guard let arg = command.argument(key) else { return [] }
            return values(of: arg, prefix: partial).map {
                Candidate(word: key + "=" + $0.word, display: $0.display, help: $0.help, final: $0.final)
            }
        }
        var out: [Candidate] = []
        let positional = command.positional
        if positionalCount < positional.count || positional.last?.variadic == true {
            let arg = positionalCount < positional.count ? positional[positionalCount] : positional[positional.count - 1]
            if !named.contains(arg.name) || arg.variadic { out += values(of: arg, prefix: current) }
        }
        for arg in command.arguments where !arg.positional && !named.contains(arg.name) && (arg.name + "=").hasPrefix(current) {
            out.append(Candidate(word: arg.name + "=", display: arg.name + "=", help: Self.describe(arg), final: false))
        }
        return out
    }

    /// The values Tab offers for an argument, starting with `prefix`.
    func values(of arg: Catalog.Argument, prefix: String) -> [Candidate] {
        var list: [Candidate]
        switch arg.type {
        case "enum": list = arg.values.map { Candidate(word: $0, display: $0) }
        case "bool": list = ["yes", "no"].map { Candidate(word: $0, display: $0) }
        case "time": list = [Candidate(word: "now", display: "now")]
        case "pattern": list = (["*"] + catalog.prefixes.map { $0 + ".*" }).map { Candidate(word: $0, display: $0) }
        default:
            if arg.name == "command" { return commandNames(prefix: prefix) }
            if arg.name == "household" { return householdIDs(prefix: prefix) }
            if arg.name == "building" { return buildings(prefix: prefix) }
            return []
        }
        return list.filter { $0.word.hasPrefix(prefix) }
    }

    /// Ids one segment at a time, as paths complete: `3-` and `4-`, then `3-2-`, then `3-2-501`.
    func householdIDs(prefix: String) -> [Candidate] {
        guard let ids = households?.households(prefix: prefix) else { return [] }
        var seen: Set<String> = []
        var out: [Candidate] = []
        for id in ids where id.hasPrefix(prefix) {
            let rest = id.dropFirst(prefix.count)
            let word: String
            var final = true
            if let dash = rest.firstIndex(of: "-") {
                word = prefix + rest[...dash]
                final = false
            } else {
                word = id
            }
            if seen.insert(word).inserted { out.append(Candidate(word: word, display: word, final: final)) }
        }
        return out
    }

    private func buildings(prefix: String) -> [Candidate] {
        guard let ids = households?.households(prefix: prefix) else { return [] }
        var seen: Set<String> = []
        var out: [Candidate] = []
        for id in ids {
            let building = String(id.prefix { $0 != "-" })
            if building.hasPrefix(prefix), seen.insert(building).inserted { out.append(Candidate(word: building, display: building)) }
        }
        return out
    }

    /// `key` and the rest of a bare `key=value` word (the protocol's named-argument form).
    static func namedArgument(_ word: String) -> (String, String)? {
        let bytes = Array(word.utf8)
        guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")), eq > 0, Lexer.isKeyStart(bytes[0]),
            bytes[..<eq].allSatisfy(Lexer.isKeyByte)
        else { return nil }
        return (String(decoding: bytes[..<eq], as: UTF8.self), String(decoding: bytes[(eq + 1)...], as: UTF8.self))
    }

    static func describe(_ arg: Catalog.Argument) -> String {
        var text = arg.summary
        if !arg.values.isEmpty { text += (text.isEmpty ? "" : ": ") + arg.values.joined(separator: "|") }
        if arg.required { text += (text.isEmpty ? "" : " ") + "(required)" }
        return text
    }

    /// The longest common prefix of the candidates' words, by characters.
    static func commonPrefix(_ candidates: [Candidate]) -> String {
        guard var prefix = candidates.first?.word else { return "" }
        for c in candidates.dropFirst() {
            while !c.word.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }
}

/// Splits typed text into words the way the protocol's lexer (and a shell, for these cases)
/// reads them: blanks separate, quotes and backslashes group. The last word is the one under the
/// cursor, empty after a blank.
enum WordSplitter {
    struct Split {
        var words: [String]
        var current: String
        /// The current word is inside an unclosed quote.
        var openQuote: Bool
        /// Where the current word starts in the text, in bytes.
        var currentStart: Int
    }

    static func split(_ text: String) -> Split {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        var start = 0
        var offset = 0
        for ch in text {
            defer { offset += ch.utf8.count }
            if escaped {
                word.append(ch)
                escaped = false
                continue
            }
            if let q = quote {
                if ch == q { quote = nil } else if ch == "\\" && q == "\"" { escaped = true } else { word.append(ch) }
                continue
            }
            switch ch {
            case " ", "\t":
                if inWord {
                    words.append(word)
                    word = ""
                    inWord = false
                }
            default:
                if !inWord {
                    inWord = true
                    start = offset
                }
                if ch == "\"" || ch == "'" { quote = ch } else if ch == "\\" { escaped = true } else { word.append(ch) }
            }
        }
        return Split(words: words, current: inWord ? word : "", openQuote: quote != nil, currentStart: inWord ? start : offset)
    }
}
