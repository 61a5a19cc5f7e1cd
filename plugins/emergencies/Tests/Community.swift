import DoorstepProtocol
@testable import EmergenciesPlugin
import Foundation
import PluginAPI
import PluginTesting
import RosterPlugin
import Testing

/// Buildings 3 and 4 of the compound, with the people the tests call on at 4 a.m.
enum Community {
    /// 王秀英 (3-2-501) is due on 2022-01-20; 李桂兰 lives alone with high blood pressure; 赵强 is
    /// disabled; 陈静 (4-1-201) is due in April, outside the plan window on 2022-01-12.
    static let csv = """
        楼栋,单元,房号,姓名,电话,出生年份,性别,标签,备注
        3,2,501,王秀英,13812345678,1994,女,pregnant:2022-01-20,
        3,2,501,张伟,13812345679,1990,男,,
        3,1,101,李桂兰,13811110001,1938,女,elderly-alone;chronic-illness,独居，高血压
        3,1,102,赵强,13811110002,1975,男,disabled,
        4,1,201,陈静,13900004444,1988,女,pregnant:2022-04-30,
        4,1,202,刘洋,13900004445,1960,男,,

        """

    static let config = """
        [plugins.emergencies]
        duty_phone = "029-88886666"
        hospital = "西安市第四医院"

        """

    /// 2022-01-12T04:00+08:00: the call.
    static let fourAM: Int64 = 1_641_931_200

    /// Roster and emergencies (and `extra` plugins) over buildings 3 and 4, leaders, gates, the
    /// night's key holder and on-call people; the clock at 04:00.
    static func harness(_ extra: [any DoorstepPlugin.Type] = [], config: String = Community.config, duty: Bool = true)
        async throws -> PluginHarness
    {
        let harness = try await PluginHarness([RosterPlugin.self, EmergenciesPlugin.self] + extra, config: config)
        try await harness.ok("roster.import format=csv", body: csv, as: .operator)
        try await harness.ok("roster.leader.assign 李明 buildings=3 phone=13800000001 kind=cadre", as: .operator)
        try await harness.ok("roster.leader.assign 王强 buildings=4 phone=13800000002 kind=volunteer", as: .operator)
        try await harness.settle()
        guard duty else { return harness }
        try await harness.ok("emergencies.gate.add 东门 buildings=3号楼", as: .operator)
        try await harness.ok("emergencies.gate.add 北侧应急门 buildings=4", as: .operator)
        try await harness.ok("emergencies.gate.holder 东门 name=赵建国 phone=13900000002 from=2022-01-12T00:00 to=2022-01-12T08:00",
                             as: .operator)
        try await harness.ok("emergencies.oncall.set role=cadre name=刘敏 phone=13700000003 from=2022-01-11T20:00 to=2022-01-12T08:00",
                             as: .operator)
        try await harness.ok("emergencies.oncall.set role=team-leader name=孙志刚 phone=13700000004 from=2022-01-12T00:00 to=2022-01-13T00:00",
                             as: .operator)
        return harness
    }

    /// Waits (real time, up to `seconds`) until `condition` holds: timers and reactions run in
    /// tasks of their own. Long, because the whole suite's blocking tests can starve this
    /// process's task pool (it returns as soon as the condition holds).
    static func eventually(_ seconds: Double = 90, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    /// The reply as the socket writes it in each format.
    static func wire(_ reply: Reply) -> (text: String, json: String) {
        (ReplyEncoder.encode(.success(reply), tag: nil, format: .text), ReplyEncoder.encode(.success(reply), tag: nil, format: .json))
    }
}

extension PluginHarness {
    /// The journal record types of emergencies.
    func emergencyTypes() async throws -> [String] { try await recorded(plugin: "emergencies").map(\.type) }

    /// The escalation events published so far.
    var escalations: [Event] { published("emergencies.escalated") }
}

/// Executable scripts in a temporary directory, for hooks that really run.
final class Scripts: Sendable {
    let dir: String

    init() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("emergencies-scripts-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { dir + "/" + name }

    @discardableResult
    func script(_ name: String, _ body: String) -> String {
        let p = path(name)
        FileManager.default.createFile(atPath: p, contents: Data(("#!/bin/sh\n" + body + "\n").utf8))
        chmod(p, 0o755)
        return p
    }

    func read(_ name: String) -> String { (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "" }

    func lines(_ name: String) -> [String] { read(name).split(separator: "\n").map(String.init) }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

extension Duration {
    static func minutes(_ m: Int) -> Duration { .seconds(m * 60) }
    static func hours(_ h: Int) -> Duration { .seconds(h * 3600) }
    static func days(_ d: Int) -> Duration { .seconds(d * 86_400) }
}
