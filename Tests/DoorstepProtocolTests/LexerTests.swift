import DoorstepProtocol
import Testing

@Suite("Lexer")
struct LexerTests {
    func parse(_ line: String) throws -> RequestLine {
        try #require(try Lexer.parse(line))
    }

    func error(_ line: String) -> ControlError? {
        do {
            _ = try Lexer.parse(line)
            return nil
        } catch {
            return error
        }
    }

    /// The server and doorstepctl find bodies with `heredocWord` where a line cannot be lexed:
    /// on every line that can, it must agree with the lexer (the fuzzer found three that did not).
    @Test(arguments: [
        "roster.import format=csv <<END ", "roster.import\t<<END", "probe.echo x\\ <<END", "probe.echo x\\\\ <<END",
        "roster.import format=csv <<END", "probe.echo \"a <<END\"", "probe.echo a<<END", "ping", "probe.body <<E\t ",
    ])
    func heredocWordAgreesWithTheLexer(_ line: String) throws {
        let lexed = try Lexer.parse(line)?.heredoc
        #expect(Lexer.heredocWord(Array(line.utf8)) == lexed, "\(line)")
    }

    @Test func plainWordsAndNamedArguments() throws {
        let r = try parse("visits.record 3-2-501 outcome=answered people=3")
        #expect(r.tag == nil)
        #expect(r.words == [.positional("visits.record"), .positional("3-2-501"),
                            .named(key: "outcome", value: "answered"), .named(key: "people", value: "3")])
        #expect(r.heredoc == nil)
    }

    @Test func tagIsSeparated() throws {
        let r = try parse("@a-1:x.y ping")
        #expect(r.tag == "a-1:x.y")
        #expect(r.words == [.positional("ping")])
    }

    @Test func chineseValuesQuotedAndBare() throws {
        let r = try parse(#"roster.resident.add 3-2-501 name="王 芳" note=独居老人 tags='elderly-alone;needs-medicine'"#)
        #expect(r.words[2] == .named(key: "name", value: "王 芳"))
        #expect(r.words[3] == .named(key: "note", value: "独居老人"))
        #expect(r.words[4] == .named(key: "tags", value: "elderly-alone;needs-medicine"))
    }

    @Test func escapesInDoubleQuotes() throws {
        let r = try parse(#"probe.echo "a\"b\\c\nd\te" "\u{738B}\u{1F600}""#)
        #expect(r.words[1] == .positional("a\"b\\c\nd\te"))
        #expect(r.words[2] == .positional("王😀"))
    }

    @Test func singleQuotesAreLiteral() throws {
        let r = try parse(#"probe.echo 'a\nb "c"'"#)
        #expect(r.words[1] == .positional(#"a\nb "c""#))
    }

    @Test func piecesConcatenateLikeAShell() throws {
        let r = try parse(#"probe.echo ab"c d"'e f'g\ h"#)
        #expect(r.words[1] == .positional("abc de fg h"))
    }

    @Test func quotedKeyIsPositional() throws {
        let r = try parse(#"probe.echo "a=b" A=b 9x=1"#)
        #expect(r.words[1] == .positional("a=b"))
        #expect(r.words[2] == .positional("A=b"))
        #expect(r.words[3] == .positional("9x=1"))
    }

    @Test func emptyValueAndEmptyQuotes() throws {
        let r = try parse(#"probe.echo note= """#)
        #expect(r.words[1] == .named(key: "note", value: ""))
        #expect(r.words[2] == .positional(""))
    }

    @Test func tabsSeparateWords() throws {
        let r = try parse("ping\t\tx")
        #expect(r.words == [.positional("ping"), .positional("x")])
    }

    @Test func heredocMarker() throws {
        let r = try parse("@t roster.import format=csv <<END_1")
        #expect(r.heredoc == "END_1")
        #expect(r.words == [.positional("roster.import"), .named(key: "format", value: "csv")])
    }

    @Test func quotedHeredocMarkerIsAValue() throws {
        let r = try parse(#"probe.echo "<<END""#)
        #expect(r.heredoc == nil)
        #expect(r.words[1] == .positional("<<END"))
    }

    @Test func blankAndCommentLinesHaveNoRequest() throws {
        #expect(try Lexer.parse("") == nil)
        #expect(try Lexer.parse("   \t ") == nil)
        #expect(try Lexer.parse("  # a comment") == nil)
    }

    @Test(arguments: [
        (#"probe.echo "abc"#, "unterminated double quote opened at column 12"),
        ("probe.echo 'abc", "unterminated single quote opened at column 12"),
        (#"probe.echo "a\qb""#, "unknown escape '\\q' at column 14"),
        (#"probe.echo "\u{D800}""#, "not a Unicode scalar value"),
        (#"probe.echo "\u{12""#, "bad unicode escape"),
        ("probe.echo abc\\", "backslash at end of line"),
        ("@ ping", "empty tag at column 1"),
        ("@tag", "missing command after tag @tag"),
        ("@tag!x ping", "bad character in tag"),
        ("@" + String(repeating: "t", count: 65) + " ping", "tag longer than 64"),
        ("probe.body <<", "bad heredoc marker"),
        ("probe.body <<a-b", "bad heredoc marker"),
        ("format=json hello", "expected a command name"),
    ])
    func syntaxErrorsNameTheProblem(line: String, expected: String) {
        let e = error(line)
        #expect(e?.code == 400)
        #expect(e?.name == "syntax_error")
        #expect(e?.message.contains(expected) == true, "\(e?.message ?? "no error")")
    }

    @Test func columnsCountCharactersNotBytes() {
        let e = error(#"probe.echo 王芳 "abc"#)
        #expect(e?.message.contains("column 15") == true, "\(e?.message ?? "")")
    }
}
