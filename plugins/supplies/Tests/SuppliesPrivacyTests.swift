import PluginAPI
import PluginTesting
import RosterPlugin
import SuppliesPlugin
import Testing

/// Issue 19 in process: the host's masking of donors and notes for viewers, `privacy.purge`
/// of supplies and roster (the cash ledger's amounts kept), and the daily purge on the
/// harness's clock under `[privacy] retain_days`.
@Suite struct SuppliesPrivacyTests {
    static func seeded(config: String = "") async throws -> PluginHarness {
        let clock = ManualClock(iso8601: "2022-01-10T09:00+08:00")!
        let harness = try await PluginHarness([RosterPlugin.self, SuppliesPlugin.self], config: config, clock: clock)
        try await harness.ok("roster.import format=csv", body: Block.csv, as: .operator)
        try await harness.ok("supplies.donation.add donor=王建国 amount=500 purpose=买菜", as: .operator)
        try await harness.ok("supplies.donation.add donor=省图书馆 amount=2700 consent=yes", as: .operator)
        try await harness.ok("supplies.request.add 3-2-501 items=降压药:2盒 category=medicine note=王芳家门口", as: .operator)
        return harness
    }

    static func balance(_ h: PluginHarness) async throws -> JSON? {
        try await h.ok("supplies.ledger").data.array.last?["balance_fen"]
    }

    @Test func viewersSeeConsentedDonorsOnlyAndNoResidentsData() async throws {
        let h = try await Self.seeded()
        defer { h.remove() }
        let ledger = try await h.ok("supplies.ledger", as: .viewer)
        #expect(ledger.data.array.map { $0["donor"]?.string } == ["***", "省图书馆"])
        let household = try await h.ok("roster.household 3-2-501", as: .viewer)
        let resident = household["residents"]?.array.first
        #expect(resident?["name"] == "***" && resident?["phone"] == "138****5678", "\(household.data)")
        #expect(resident?["tags"] == .array(["***", "***"]), "health tags are masked, their number kept")
        #expect(!(household.lines ?? []).joined().contains("王芳"), "text lines are masked too")
        #expect(try await h.ok("roster.household 3-2-501", as: .operator)["residents"]?.array.first?["name"] == "王芳")
        await h.stop()
    }

    @Test func purgeKeepsTheAmountsAndRemovesDonorsNotesAndNamesAcrossARestart() async throws {
        let h = try await Self.seeded()
        defer { h.remove() }
        let balance = try await Self.balance(h)
        h.clock.advance(by: .seconds(48 * 3600))
        let recorded = try await h.recorded().count
        let dry = try await h.ok("privacy.purge before=2022-01-11 dry_run=yes")
        #expect(dry["plugins"]?["supplies"] == ["donations": 2, "requests": 1], "\(dry.data)")
        #expect(dry["plugins"]?["roster"] == ["residents": 4], "\(dry.data)")
        #expect(try await h.recorded().count == recorded, "a dry run records nothing")
        #expect(try await h.error("privacy.purge before=2022-01-11", as: .operator).name == "forbidden")
        #expect(try await h.error("privacy.purge before=2022-02-30").name == "invalid_argument")
        #expect(try await h.error("privacy.purge before=2022-03-01").message.contains("is in the future"))
        let purged = try await h.ok("privacy.purge before=2022-01-11")
        #expect(purged["total"] == 7 && purged["dry_run"] == false, "\(purged.data)")
        #expect(try await h.recorded().map(\.type).filter { $0 == "privacy.purged" }.count == 2)
        for check in [false, true] {
            if check { try await h.restart() }
            #expect(try await Self.balance(h) == balance, "the cash balance is unchanged")
            let ledger = try await h.ok("supplies.ledger").data.array
            #expect(ledger.map { $0["donor"] } == [.null, .null] && ledger.map { $0["amount_fen"] } == [50_000, 270_000])
            #expect(try await h.ok("supplies.request 1")["note"] == .null)
            let names = try await h.ok("roster.household 3-2-501")["residents"]?.array.map { $0["name"]?.string }
            #expect(names == ["已清除-1"], "\(String(describing: names))")
        }
        // Again: nothing left to purge, nothing recorded.
        #expect(try await h.ok("privacy.purge before=2022-01-11")["total"] == 0)
        await h.stop()
    }

    @Test func theDailyPurgeRunsOnTheHostClockUnderRetainDays() async throws {
        let h = try await Self.seeded(config: "[privacy]\nretain_days = 1\n")
        defer { h.remove() }
        let report = try await h.ok("privacy.report", as: .operator)
        #expect(report["retain_days"] == 1 && report["next_purge"] != .null, "\(report.data)")
        #expect(report["rows"]?.array.contains { $0["kind"] == "residents" && $0["count"] == 4 && $0["purge_due"] == 0 } == true)
        h.clock.advance(by: .seconds(72 * 3600))       // past the first run (a minute after start); data now 3 days old
        var purged = false
        for _ in 0..<200 where !purged {
            try await Task.sleep(for: .milliseconds(20))
            purged = try await h.ok("supplies.ledger").data.array.first?["donor"] == .null
        }
        #expect(purged, "the daily purge removed the donors")
        #expect(try await h.ok("privacy.report", as: .operator)["rows"]?.array.allSatisfy { $0["count"] == 0 } == true)
        await h.stop()
    }
}
