import PluginAPI
import PluginTesting
@testable import SuppliesPlugin
import Testing

/// The events supplies publishes for the district (docs/district.md): requests opened,
/// delivered and cancelled, and the ledger as amounts; no items, donors, purposes or reasons.
@Suite("supplies: the district's events")
struct SuppliesDistrictEventTests {
    @Test func requestsAndCashAreAnnouncedAsIdsKindsAmountsAndTimes() async throws {
        let harness = try await Block.harness()
        defer { harness.remove() }
        for line in ["supplies.stock.receive 大米 qty=20 unit=kg source=donation from=爱心超市",
                     "supplies.request.add 3-2-501 items=大米:5kg note=王芳要软一点的",
                     "supplies.request.add 3-1-101 items=大米:5kg priority=urgent",
                     "supplies.request.assign 1 to=刘敏", "supplies.request.dispatch 1", "supplies.request.deliver 1 items=大米:2kg",
                     "supplies.request.deliver 1", "supplies.request.cancel 2 reason=张大爷住院了",
                     "supplies.donation.add donor=王先生 amount=100 purpose=买药", "supplies.cash.spend amount=30.50 purpose=药店",
                     "supplies.donation.add donor=李女士 amount=20", "supplies.donation.void 3 reason=重复登记"] {
            try await harness.ok(line, as: .admin)
        }
        let opened = harness.published("supplies.request.opened")
        #expect(opened.map { $0.data["id"] } == [1, 2] && opened.map { $0.data["household"] } == ["3-2-501", "3-1-101"])
        #expect(opened[1].data["priority"] == "urgent" && opened[0].data["at"] == "2022-01-12T04:00:00+08:00")
        #expect(harness.published("supplies.request.delivered").map { $0.data["id"] } == [1], "once, when the last item is delivered")
        #expect(harness.published("supplies.request.cancelled").map { $0.data["id"] } == [2])
        let cash = harness.published("supplies.cash.moved")
        #expect(cash.map { $0.data["kind"] } == ["donation", "spend", "donation", "void"])
        #expect(cash.map { $0.data["fen"] } == [10_000, 3_050, 2_000, 2_000])
        #expect(cash.map { $0.data["balance_fen"] } == [10_000, 6_950, 8_950, 6_950])
        #expect(cash.map { $0.data["entry"] } == [1, 2, 3, 4])
        for event in harness.published() {
            for text in ["大米", "王芳要软一点的", "张大爷住院了", "王先生", "李女士", "买药", "药店", "重复登记", "刘敏", "爱心超市"] {
                #expect(!event.data.serialized.contains(text) || event.name == "supplies.stock.low", "\(event.name) carries \(text)")
            }
        }
        await harness.stop()
    }
}
