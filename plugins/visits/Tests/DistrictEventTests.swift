import PluginAPI
import PluginTesting
import Testing
@testable import VisitsPlugin

/// The events visits publishes for the district (docs/district.md): resident numbers instead of
/// names, stable across snapshots and restarts; times as recorded.
@Suite("visits: the district's events")
struct DistrictEventTests {
    @Test func testsAreAnnouncedWithResidentNumbersThatStayTheSame() async throws {
        let harness = try await Neighbourhood.harness()
        defer { harness.remove() }
        try await harness.ok("visits.test.record 3-1-102 at=2022-01-12T03:00+08:00", as: .operator)
        try await harness.ok("visits.test.record 3-1-102/赵小明 at=2022-01-12T03:30+08:00", as: .operator)
        try await harness.ok("visits.test.record 3-2-501 at=2022-01-12T03:40+08:00", as: .operator)
        try await harness.snapshot()
        try await harness.restart()
        try await harness.ok("visits.test.record 3-1-102/李阿姨 at=2022-01-12T03:50+08:00", as: .operator)
        let tested = harness.published("visits.tested")
        #expect(tested.map { $0.data["household"]?.string ?? "" } == ["3-1-102", "3-1-102", "3-2-501", "3-1-102"])
        // 李阿姨 and 赵小明 are 1 and 2 in 3-1-102 (in the roster's order), and stay so.
        let numbers = tested.map { $0.data["residents"] }
        let first = (numbers[0]?.array ?? []).compactMap(\.int)
        #expect(Set(first) == [1, 2])
        let zhao = try #require(numbers[1]?.array.first?.int), li = try #require(numbers[3]?.array.first?.int)
        #expect(Set([zhao, li]) == [1, 2] && zhao != li)
        #expect(numbers[2] == [1])
        #expect(tested[0].data["at"] == "2022-01-12T03:00:00+08:00" && tested[0].data["building"] == "3")
        for event in harness.published() {
            for name in ["张大爷", "李阿姨", "赵小明", "王芳", "欧阳建国", "钱多多", "13812345678", "独居"] {
                #expect(!event.data.serialized.contains(name), "\(event.name) carries \(name)")
            }
        }
        await harness.stop()
    }

    @Test func campaignsVisitsAndNeedsCarryTheirTimesAndBuildings() async throws {
        let harness = try await Neighbourhood.harness()
        defer { harness.remove() }
        try await harness.ok("visits.campaign.start 敲门 deadline=2022-01-13T20:00+08:00 started=2022-01-11T08:00+08:00", as: .operator)
        try await harness.ok("visits.record 3-2-501 outcome=answered people=1 needs=medicine:降压药x2盒 note=独居老人 visitor=刘敏 at=2022-01-11T21:00+08:00",
                             as: .operator)
        let started = try #require(harness.published("visits.campaign.started").first)
        #expect(started.data["by_building"] == [["building": "3", "households": 4], ["building": "5", "households": 2]])
        #expect(started.data["at"] == "2022-01-11T08:00:00+08:00" && started.data["households"] == 6)
        let record = harness.published().filter { $0.name == "visits.recorded" || $0.name == "visits.need.opened" }
        #expect(record.map(\.name) == ["visits.recorded", "visits.need.opened"] && record[0].seq == record[1].seq)
        #expect(record[0].data == ["campaign": "敲门", "also": [], "household": "3-2-501", "building": "3", "outcome": "answered",
                                   "people": 1, "at": "2022-01-11T21:00:00+08:00"])
        #expect(record[1].data["at"] == "2022-01-11T21:00:00+08:00", "a need is opened when the visit was made, not when it was typed in")
        try await harness.ok("visits.need.resolve 1", as: .operator)
        #expect(harness.published("visits.need.resolved").first?.data["at"] == "2022-01-12T04:00:00+08:00")
        await harness.stop()
    }
}
