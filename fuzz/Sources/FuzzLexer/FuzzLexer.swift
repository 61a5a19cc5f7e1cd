import DoorstepProtocol

/// A fuzz finding: prints what was wrong and traps, so libFuzzer saves the input.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz invariant: \(message())") }
}

/// One request line (the bytes between two newlines) through the lexer, as the server does it:
/// only well-formed UTF-8 reaches `Lexer.parse` there, but any String must be safe.
///
/// Invariants: no trap; an error is `400 syntax_error` with a message; a parsed line starts
/// with a positional command word, its tag and heredoc word obey the grammar's lengths and
/// characters; re-quoting the parsed words with `Quoting` lexes back to the same words.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLexer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let line = String(decoding: bytes, as: UTF8.self)
    let request: RequestLine?
    do {
        request = try Lexer.parse(line)
    } catch {
        check(error.code == 400 && error.name == "syntax_error", "lexer error \(error)")
        check(!error.message.isEmpty, "empty error message")
        return 0
    }
    // The raw-bytes helper must never trap either (the server runs it on lines too long to lex).
    _ = Lexer.heredocWord(bytes)
    guard let request else { return 0 }
    guard case .positional(let command) = request.words.first else {
        fatalError("fuzz invariant: parsed line without a positional command: \(request)")
    }
    _ = command
    if let tag = request.tag {
        check(!tag.isEmpty && tag.utf8.count <= Lexer.maxTagLength, "tag length \(tag.utf8.count)")
        check(tag.utf8.allSatisfy { Lexer.isAlnum($0) || "-_.:".utf8.contains($0) }, "tag characters \(tag)")
    }
    if let word = request.heredoc {
        check(!word.isEmpty && word.utf8.count <= Lexer.maxHeredocWordLength, "heredoc word length")
        check(word.utf8.allSatisfy { Lexer.isAlnum($0) || $0 == UInt8(ascii: "_") }, "heredoc word characters")
    }
    // Round trip: what doorstepctl would write for these words lexes back to them.
    var parts: [String] = []
    if let tag = request.tag { parts.append("@" + tag) }
    for word in request.words {
        switch word {
        case .positional(let v): parts.append(Quoting.quote(v))
        case .named(let k, let v): parts.append(k + "=" + Quoting.quote(v))
        }
    }
    if let word = request.heredoc { parts.append("<<" + word) }
    let again = parts.joined(separator: " ")
    do {
        let back = try Lexer.parse(again)
        check(back == request, "re-quoted line \(again.debugDescription) lexes to \(String(describing: back)), not \(request)")
    } catch {
        fatalError("fuzz invariant: re-quoted line \(again.debugDescription) fails: \(error)")
    }
    return 0
}
