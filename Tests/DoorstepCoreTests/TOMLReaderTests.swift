@testable import DoorstepCore
import PluginAPI
import Testing
import Foundation

/// TOMLReader: TOML 1.0 as the config file uses it, every error with its line and column, and
/// no input that traps (the fuzz target `config` runs the same code).
@Suite("TOML reader")
struct TOMLReaderTests {
    func parse(_ text: String) throws -> [String: ConfigValue] {
        try TOMLReader.parse(text).root
    }

    func error(_ text: String) -> TOMLSyntaxError? {
        do {
            _ = try TOMLReader.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func stringsInEveryForm() throws {
        let root = try parse(#"""
            a = "tab\there \"q\" \\ \u00e9 \U0001F600 中文"
            b = 'C:\data\新建文件夹'
            c = """
            第一行
              two ""quotes"" \
                joined"""
            d = '''
            raw \n ''kept'' '''
            e = """""five"""""
            "引号 key" = ""
            'lit key' = 1
            """#)
        #expect(root["a"] == .string("tab\there \"q\" \\ é 😀 中文"))
        #expect(root["b"] == .string(#"C:\data\新建文件夹"#))
        #expect(root["c"] == .string("第一行\n  two \"\"quotes\"\" joined"))
        #expect(root["d"] == .string("raw \\n ''kept'' "))
        #expect(root["e"] == .string("\"\"five\"\""))
        #expect(root["引号 key"] == .string(""))
        #expect(root["lit key"] == .int(1))
    }

    @Test func numbersBooleansArraysAndInlineTables() throws {
        let root = try parse("""
            i = [0, +7, -17, 1_000_000, 0xDEAD_beef, 0o755, 0b1101, 9223372036854775807, -9223372036854775808]
            f = [0.5, -3.25, 1e6, 6.626E-34, 1_0.0_1, -0.0, 1e007]
            s = [inf, -inf, nan]
            b = [true, false]
            nested = [ [1, 2], ["a", 'b'], [], [[[]]], ] # trailing comma, comment
            multi = [
              1, # one
              2,

              3
            ]
            t = { name = "东门", buildings = ["1号楼", "2号楼"], sub.key = 1, empty = {} }
            """)
        #expect(root["i"] == .array([0, 7, -17, 1_000_000, 0xDEADBEEF, 0o755, 0b1101, Int.max, Int.min].map { .int($0) }))
        #expect(root["f"] == .array([0.5, -3.25, 1e6, 6.626e-34, 10.01, -0.0, 1e7].map { .double($0) }))
        guard case .array(let special)? = root["s"], case .double(let inf) = special[0], case .double(let ninf) = special[1],
              case .double(let nan) = special[2] else { Issue.record("no inf/nan"); return }
        #expect(inf == .infinity && ninf == -.infinity && nan.isNaN)
        #expect(root["b"] == .array([.bool(true), .bool(false)]))
        #expect(root["nested"] == .array([.array([.int(1), .int(2)]), .array([.string("a"), .string("b")]), .array([]),
                                          .array([.array([.array([])])])]))
        #expect(root["multi"] == .array([.int(1), .int(2), .int(3)]))
        #expect(root["t"] == .table(["name": .string("东门"), "buildings": .array([.string("1号楼"), .string("2号楼")]),
                                     "sub": .table(["key": .int(1)]), "empty": .table([:])]))
    }

    @Test func tablesDottedKeysAndArraysOfTablesWithTheirPositions() throws {
        let doc = try TOMLReader.parse("""
            \u{FEFF}top.level = 1\r
            [plugins.emergencies.kinds.labour]\r
            steps = ["call-120", "open-gate"]
            [plugins.emergencies]
            enabled = true
            gate."东门".buildings = ["1号楼"]
            [[hooks]]
            on = "a"
            [hooks.env]
            X = "1"
            [[hooks]]
              on = "b"
            """)
        let root = doc.root
        #expect(root["top"] == .table(["level": .int(1)]))
        guard case .table(let plugins)? = root["plugins"], case .table(let e)? = plugins["emergencies"] else {
            Issue.record("no plugins.emergencies"); return
        }
        #expect(e["enabled"] == .bool(true))
        #expect(e["kinds"] == .table(["labour": .table(["steps": .array([.string("call-120"), .string("open-gate")])])]))
        #expect(e["gate"] == .table(["东门": .table(["buildings": .array([.string("1号楼")])])]))
        #expect(root["hooks"] == .array([.table(["on": .string("a"), "env": .table(["X": .string("1")])]), .table(["on": .string("b")])]))
        #expect(doc.positions["top.level"]! == (1, 1))
        #expect(doc.positions["plugins.emergencies.kinds.labour.steps"]! == (3, 1))
        #expect(doc.positions["plugins.emergencies"]! == (2, 1), "first written by the header of its sub-table")
        #expect(doc.positions["plugins.emergencies.gate.东门.buildings"]! == (6, 1))
        #expect(doc.positions["hooks.0.env.X"]! == (10, 1))
        #expect(doc.positions["hooks.1"]! == (11, 1))
        #expect(doc.positions["hooks.1.on"]! == (12, 3))
    }

    @Test(arguments: [
        // Keys and tables defined twice, or in two ways.
        ("a = 1\na = 2\n", 2, 1, "'a' is set twice"),
        ("[t]\n[t]\n", 2, 1, "table [t] is defined twice"),
        ("[t]\nx.y = 1\n[t.x]\n", 3, 1, "table [t.x] is defined twice (its keys were set with dotted keys above)"),
        ("[a.b]\n[a]\nb.c = 1\n", 3, 1, "'a.b' is a table defined by its own [header]"),
        ("[[h]]\n[h]\n", 2, 1, "'h' is an array of tables; write [[h]]"),
        ("[h]\n[[h]]\n", 2, 1, "'h' is already a table, not an array of tables"),
        ("a = [1]\n[[a]]\n", 2, 1, "'a' is already an array and cannot also be a table"),
        ("a = {b = 1}\na.c = 2\n", 2, 1, "'a' is an inline table (written with { })"),
        ("a = {b = 1}\n[a.c]\n", 2, 1, "'a' is an inline table"),
        ("a = {b = 1, b = 2}\n", 1, 13, "'a.b' is set twice"),
        ("a.b = 1\na = 2\n", 2, 1, "'a' is set twice"),
        // Syntax.
        ("a = {b = 1,}\n", 1, 12, "a trailing comma is not allowed in an inline table"),
        ("a = {b = 1,\nc = 2}\n", 1, 12, "must be closed on the line it opens"),
        ("a = \"open\n", 1, 5, "unterminated string: the \" opened here is not closed on its line"),
        ("a = 'open\n", 1, 5, "unterminated string: the ' opened here"),
        ("a = \"\"\"never\n", 1, 5, "the \"\"\" opened here is never closed"),
        ("a = '''x''''''\n", 1, 9, "6 quotes in a row"),
        ("a = \"C:\\data\"\n", 1, 8, "unknown escape '\\d'"),
        ("a = \"\\uD800\"\n", 1, 6, "escape \\u needs 4 hex digits of a Unicode scalar value"),
        ("a = \"x\u{1}\"\n", 1, 7, "control character U+1 in a string"),
        ("a = 1 # bad \u{7F}\n", 1, 13, "control character U+7F in a comment"),
        ("a = 1\rb = 2\n", 1, 6, "a carriage return (U+D) not followed by a line feed"),
        ("a = 01\n", 1, 5, "'01' is not a number"),
        ("a = 1__0\n", 1, 5, "'1__0' is not a number"),
        ("a = 1.\n", 1, 5, "'1.' is not a number"),
        ("a = +0x1F\n", 1, 5, "'+0x1F' is not a number"),
        ("a = 0x\n", 1, 5, "is not a number"),
        ("a = 9223372036854775808\n", 1, 5, "the integer 9223372036854775808 is out of range"),
        ("a = 0xFFFFFFFFFFFFFFFF\n", 1, 5, "out of range (at most 0x7FFFFFFFFFFFFFFF)"),
        ("fsync = always\n", 1, 9, "'always' is not a value: strings are quoted (\"always\")"),
        ("a = tru\n", 1, 5, "'tru' is not a value"),
        ("a = \n", 1, 5, "expected a value, found the end of the line"),
        ("a = # x\n", 1, 5, "expected a value, found a comment"),
        ("a 1\n", 1, 3, "expected '=' after the key 'a', found '1'"),
        ("a = 1 2\n", 1, 7, "expected the end of the line after the value of 'a', found '2'"),
        ("a = [1 2]\n", 1, 8, "expected ',' or ']' in the array opened at line 1, found '2'"),
        ("a = [1,\n", 1, 5, "unterminated array"),
        ("a = [,]\n", 1, 6, "expected a value"),
        ("[t] x = 1\n", 1, 5, "expected the end of the line after the table header [t], found 'x'"),
        ("[t\n", 1, 3, "expected ']' to close the table header"),
        ("[[t]\n", 1, 4, "expected ']]' to close the table header"),
        ("[[t] ]\n", 1, 4, "expected ']]'"),
        ("= 1\n", 1, 1, "expected a key"),
        ("\"\"\"k\"\"\" = 1\n", 1, 1, "a key cannot be a multi-line string"),
        ("a.\"b\n", 1, 3, "unterminated string"),
        ("[a.]\n", 1, 4, "expected a key"),
        ("名字 = 1\n", 1, 1, "expected a key (letters, digits, '_' and '-', or a quoted string) or a [table] header, found '名'"),
    ])
    func errorsNameTheirLineAndColumn(text: String, line: Int, column: Int, message: String) {
        guard let e = error(text) else { Issue.record("accepted: \(text)"); return }
        #expect(e.message.contains(message), "\(e.message)")
        #expect((e.line, e.column) == (line, column), "\(e.line):\(e.column) \(e.message)")
    }

    /// The reader is recursive: nesting is bounded so no file can exhaust the stack.
    @Test func deepNestingIsRefusedNotACrash() throws {
        for open in ["[", "{a="] {
            let text = "a = " + String(repeating: open, count: 100_000) + "\n"
            let e = error(text)
            #expect(e?.message.contains("nested more than 32 deep") == true, "\(e?.message ?? "accepted")")
        }
        let ok = "a = " + String(repeating: "[", count: 32) + String(repeating: "]", count: 32) + "\n"
        #expect(throws: Never.self) { try TOMLReader.parse(ok) }
    }

    /// A config file that is not UTF-8 (an editor on Windows saves GBK) names the place.
    @Test func aFileThatIsNotUTF8NamesLineAndColumn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("toml-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("doorstep.toml").path
        // "[plugins.probe]\ngreeting = \"东门\"" with 东门 in GBK.
        let bytes = Array("[plugins.probe]\ngreeting = \"".utf8) + [0xB6, 0xAB, 0xC3, 0xC5] + Array("\"\n".utf8)
        FileManager.default.createFile(atPath: file, contents: Data(bytes))
        do {
            _ = try ConfigLoader.load(file: file, knownPlugins: ["probe"])
            Issue.record("a GBK file was accepted")
        } catch {
            #expect(error.description.contains("not valid UTF-8 at line 2, column 13 (byte 28)"), "\(error.description)")
            #expect(error.description.contains("iconv -f GB18030 -t UTF-8"))
        }
    }
}
