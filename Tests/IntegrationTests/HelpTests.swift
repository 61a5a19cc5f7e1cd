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

    /// `hello lang=zh-CN`: messages, labels and table headers in Chinese, aligned by display
    /// width; error names, codes and JSON keys as they were; an English connection unchanged.
    @Test func aChineseConnectionGetsChineseMessagesAndHeadersWithStableKeys() throws {
        let daemon = try FieldUseTests.community()
        defer { daemon.stop() }
        let english = try daemon.client()
        let en = try english.request("roster.household 3-1-101")
        #expect(en.contains { $0.hasPrefix("200-  name") }, "\(en)")
        #expect(en.last == "200 1 residents", "\(en)")

        let client = try daemon.client()
        _ = try client.request("hello lang=zh-CN")
        let zh = try client.request("roster.household 3-1-101")
        #expect(zh.contains("200-户号: 3-1-101"), "\(zh)")
        let header = try #require(zh.first { $0.hasPrefix("200-  姓名") }, "\(zh)")
        #expect(header.contains("电话") && header.contains("标签"), "\(header)")
        // Columns line up by display width: the phone column starts at the same column in the
        // header (two-column characters) and in the row below it.
        let row = try #require(zh.firstIndex(of: header).map { zh[$0 + 1] })
        func column(_ line: String, _ field: String) -> Int? {
            guard let r = line.range(of: field) else { return nil }
            return line[..<r.lowerBound].reduce(0) { $0 + ($1.unicodeScalars.first!.value > 0x2E80 ? 2 : 1) }
        }
        let phone = try #require(row.split(separator: " ").dropFirst(2).first.map(String.init))
        #expect(column(header, "电话") == column(row, phone), "\(header) / \(row)")
        #expect(zh.last == "200 1 名居民", "\(zh)")

        // Messages of commands and of the host's own checks.
        #expect(try client.request("visits.campaign.start 第一轮 deadline=2030-01-01T18:00").last?
            .hasPrefix("200 排查 第一轮 已开始：16 户") == true)
        #expect(try client.request("visits.record 3-1-101 outcome=no-answer").last == "200 已登记 3-1-101：无人应答；需复访（第 1 次）")
        #expect(try client.request("roster.household 9-9-909").last == "404 not_found: 户 9-9-909 不存在")
        #expect(try client.request("visits.record 3-1-101").last?.hasPrefix("420 missing_argument: 缺少参数 'outcome'") == true)
        #expect(try client.request("visits.record 3-1-101 outcome=maybe").last?
            .hasPrefix("422 invalid_argument: 参数 'outcome'：应为 answered、no-answer、refused、vacant 之一，收到 'maybe'") == true)
        #expect(try client.request("visits.recrod 3-1-101").last?.hasPrefix("405 unknown_command: 没有命令 'visits.recrod'；是不是要用 'visits.record'？") == true)
        let coverage = try client.request("visits.coverage")
        #expect(coverage.contains { $0.hasPrefix("200-排查轮次:") && $0.hasSuffix("第一轮") }, "\(coverage)")
        // A plugin id stays as it is where it is data (the snapshots by plugin).
        let state = try client.request("state.status")
        #expect(state.contains { $0.hasPrefix("200-  visits:") }, "\(state)")

        // JSON keys never change; the message is the connection's language.
        _ = try client.requestJSON("hello format=json")
        let json = try client.requestJSON("roster.household 3-1-101")
        let data = try #require(json["data"] as? [String: Any])
        #expect(data["household"] as? String == "3-1-101" && data["residents"] != nil, "\(json)")
        let error = try client.requestJSON("roster.household 9-9-909")
        #expect(error["error"] as? String == "not_found" && error["code"] as? Int == 404)
        #expect(error["message"] as? String == "户 9-9-909 不存在")

        // The English connection beside it is untouched.
        #expect(try english.request("roster.household 9-9-909").last == "404 not_found: household 9-9-909 does not exist")
    }
}
