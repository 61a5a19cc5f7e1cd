import Foundation
import Testing

/// `help` as a new user on night duty meets it (issue 17): a module's commands, one example per
/// command, Chinese with `hello lang=zh-CN`; error names and JSON keys stay English.
@Suite("Help", .serialized)
struct HelpTests {
    @Test func aModulesCommandsAnExampleEachAndChinese() throws {
        let daemon = try FieldUseTests.community()
        defer { daemon.stop() }
        let visits = try daemon.ctl(["help", "visits"])
        #expect(visits.status == 0)
        let names = visits.out.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != " " }) }
        #expect(names.contains("visits.record") && names.allSatisfy { $0.hasPrefix("visits.") }, "\(visits.out)")

        // Every command's help has an example that names it.
        let all = try FieldUseTests.rows(daemon, ["commands"])
        #expect(all.count > 40)
        for command in all {
            let name = try #require(command["name"] as? String)
            let help = try FieldUseTests.object(daemon, ["help", name])
            let example = try #require(help["example"] as? String, "\(name) has no example")
            #expect(example.hasPrefix(name), "\(name): \(example)")
        }
        let record = try daemon.ctl(["help", "visits.record"])
        #expect(record.out.contains("\nexample: visits.record 3-2-501 outcome=answered\n"), "\(record.out)")

        // Chinese for the connection; the JSON keys and error names do not change.
        let client = try daemon.client()
        _ = try client.request("hello lang=zh-CN")
        let zh = try client.request("help visits.record")
        #expect(zh.contains("200-用法：visits.record HOUSEHOLD outcome=answered|no-answer|refused|vacant [people=N] [needs=STRING] [note=STRING] [visitor=STRING] [at=TIME]"), "\(zh)")
        #expect(zh.contains("200-登记一次走访及发现的需求"))
        #expect(zh.contains("200-示例：visits.record 3-2-501 outcome=answered"))
        let list = try client.request("help")
        #expect(list.contains { $0.hasPrefix("200-report.daily") && $0.contains("向上级报送的每日报告") }, "\(list.prefix(5))")
        let unknown = try client.request("visits.recrod 3-1-101")
        #expect(unknown.last?.hasPrefix("405 unknown_command:") == true, "\(unknown)")
    }
}
