import DoorstepProtocol
import Testing

@Suite("Quoting")
struct QuotingTests {
    @Test(arguments: [
        "plain", "王芳", "两个 词", "", "with \"quotes\"", "it's", "back\\slash", "line\nbreak\ttab\r",
        "<<EOF", "#hash", "@at", "a=b", "😀 emoji", "\u{1}control", "trailing ",
    ])
    func positionalValuesRoundTrip(value: String) throws {
        let line = "probe.echo " + Quoting.quote(value)
        let parsed = try #require(try Lexer.parse(line))
        #expect(parsed.words == [.positional("probe.echo"), .positional(value)])
        #expect(parsed.heredoc == nil)
    }

    @Test(arguments: ["", "王 芳", "a=b=c", "\"", "x\ny", "<<EOF"])
    func namedValuesStayNamed(value: String) throws {
        let line = "probe.echo " + Quoting.requestWord("note=" + value)
        let parsed = try #require(try Lexer.parse(line))
        #expect(parsed.words[1] == .named(key: "note", value: value))
    }

    /// A first word starting with "@", "#" or "<<" followed by a combining mark (one Character
    /// with it) is still quoted: bare, "@߳x" was read back as an empty tag (fuzzing finding).
    @Test(arguments: ["@\u{7F3}____", "#\u{301}x", "<<\u{301}EOF", "@"])
    func aLeadingMarkCharacterFollowedByACombiningMarkIsQuoted(value: String) throws {
        #expect(Quoting.quote(value).hasPrefix("\""))
        let parsed = try #require(try Lexer.parse(Quoting.quote(value) + " x"))
        #expect(parsed.tag == nil && parsed.words.first == .positional(value))
    }

    @Test func shellWordsWithAKeyBecomeNamed() throws {
        let parsed = try #require(try Lexer.parse("probe.echo " + Quoting.requestWord("a=b c")))
        #expect(parsed.words[1] == .named(key: "a", value: "b c"))
        let positional = try #require(try Lexer.parse("probe.echo " + Quoting.requestWord("王=b")))
        #expect(positional.words[1] == .positional("王=b"))
    }

    @Test func safeWordsStayBare() {
        #expect(Quoting.requestWord("3-2-501") == "3-2-501")
        #expect(Quoting.requestWord("outcome=answered") == "outcome=answered")
        #expect(Quoting.requestWord("name=王芳") == "name=王芳")
        #expect(Quoting.requestWord("两个 词") == "\"两个 词\"")
    }
}
