import PluginSupport
import Testing

@Suite("CSV")
struct CSVTests {
    /// What `CSV.field` writes, `CSV.parse` reads back, field for field: quotes, commas, line
    /// breaks, blanks at the ends, and a quote followed by a combining mark (one Character, two
    /// scalars: it was written unquoted and the file no longer parsed: fuzzing finding).
    @Test func writtenFieldsParseBackWhateverTheyHold() throws {
        let fields = ["王芳", "独居, 高血压", "他说\"开门\"", "一行\n两行", " 前空格", "后空格 ", "\"\u{065E}'~芳", "a\tb", "",
                      "\u{301}", "x\"\u{301}\"y"]
        let line = fields.map(CSV.field).joined(separator: ",") + "\r\n"
        let rows = try CSV.parse("name\r\n" + line)
        #expect(rows.count == 2)
        #expect(rows.last?.fields == fields)
        #expect(CSV.field("王芳") == "王芳", "plain fields are not quoted")
        #expect(CSV.field("\"\u{065E}") == "\"\"\"\u{065E}\"")
    }
}
