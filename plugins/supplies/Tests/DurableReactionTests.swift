import PluginAPI
import PluginTesting
import RosterPlugin
@testable import SuppliesPlugin
import Testing
import VisitsPlugin

/// Reactions between visits and supplies go through the journal: a need recorded while
/// supplies is disabled, restarting or reloading still gets exactly one request, and a
/// delivery made while visits is away still resolves its need, exactly once.
@Suite struct DurableReactionTests {
    static let plugins: [any DoorstepPlugin.Type] = [RosterPlugin.self, VisitsPlugin.self, SuppliesPlugin.self]

    /// Households 3-1-101 … in one building, and a campaign over them.
    func community(_ harness: PluginHarness, households: Int) async throws -> [String] {
        let ids = (0..<households).map { "3-\($0 / 100 + 1)-\(101 + $0 % 100)" }
        var csv = "building,unit,room,name\n"
        for id in ids {
            let p = id.split(separator: "-")
            csv += "\(p[0]),\(p[1]),\(p[2]),住户\(p[2])\n"
        }
        try await harness.ok("roster.import format=csv", body: csv, as: .operator)
        try await harness.ok("visits.campaign.start 敲门 deadline=2022-01-13T20:00+08:00", as: .operator)
        return ids
    }

    /// `line`'s reply, sent again while its plugin is restarting (`503`), as a client would.
    func persist(_ harness: PluginHarness, _ line: String) async throws -> Reply {
        while true {
            switch try await harness.send(line, as: .operator) {
            case .success(let reply): return reply
            case .failure(let error) where error.code == 503: try await Task.sleep(for: .milliseconds(2))
            case .failure(let error): throw error
            }
        }
    }

    /// The requests linked to each need, by need id.
    func requestsByNeed(_ harness: PluginHarness) async throws -> [Int: Int] {
        var out: [Int: Int] = [:]
        for r in try await harness.ok("supplies.requests status=all", as: .operator).data.array {
            if let need = r["need"]?.int { out[need, default: 0] += 1 }
        }
        return out
    }

    @Test func aNeedRecordedWhileSuppliesWasDisabledGetsItsRequestWhenEnabled() async throws {
        let harness = try await PluginHarness(Self.plugins, config: "[plugins.supplies]\nenabled = false\n")
        defer { harness.remove() }
        _ = try await community(harness, households: 2)
        let visit = try await harness.ok("visits.record 3-1-101 outcome=answered people=2 needs=\"food:米面油\"", as: .operator)
        let need = try #require(visit["needs"]?.array.first?["id"]?.int)
        #expect(try await harness.error("supplies.requests").message.contains("supplies is disabled"))
        #expect(try await harness.reload(config: "[plugins.supplies]\nenabled = true\n").contains("supplies: started"))
        try await harness.settle()
        #expect(try await requestsByNeed(harness) == [need: 1], "the need recorded while supplies was off has its request")

        // Disabled again, two more needs; a restart while disabled; enabled: each gets one.
        try await harness.reload(config: "[plugins.supplies]\nenabled = false\n")
        let more = try await harness.ok("visits.record 3-1-102 outcome=answered people=1 needs=\"medicine:降压药;heating:暖气不热\"",
                                        as: .operator)
        let moreIDs = more["needs"]?.array.compactMap { $0["id"]?.int } ?? []
        try #require(moreIDs.count == 2)
        try await harness.restart()
        try await harness.reload(config: "[plugins.supplies]\nenabled = true\n")
        try await harness.settle()
        #expect(try await requestsByNeed(harness) == [need: 1, moreIDs[0]: 1, moreIDs[1]: 1])

        // A snapshot and a restart replay nothing twice.
        try await harness.snapshot()
        try await harness.restart()
        try await harness.settle()
        #expect(try await requestsByNeed(harness) == [need: 1, moreIDs[0]: 1, moreIDs[1]: 1])
        let added = try await harness.recorded(plugin: "supplies").filter { $0.is(RequestAdded.self) }
        #expect(added.count == 3)
        #expect(added.allSatisfy { $0.reaction != 0 }, "each request carries the position of the event it reacts to")
        await harness.stop()
    }

    @Test func reloadingSuppliesUnderAStreamOfVisitsOpensExactlyOneRequestPerNeed() async throws {
        let harness = try await PluginHarness(Self.plugins)
        defer { harness.remove() }
        let households = try await community(harness, households: 120)
        // Visits stream in while supplies is disabled, enabled, restarted on a changed config.
        let visits = Task {
            var needs: [Int] = []
            for h in households {
                let reply = try await persist(harness, "visits.record \(h) outcome=answered people=1 needs=\"food:米面油\"")
                needs += reply["needs"]?.array.compactMap { $0["id"]?.int } ?? []
            }
            return needs
        }
        let configs = ["[plugins.supplies]\nenabled = false\n", "[plugins.supplies]\nenabled = true\n", ""]
        var reloads = 0
        while reloads < 40 {
            _ = try? await harness.reload(config: configs[reloads % configs.count])
            reloads += 1
            try await Task.sleep(for: .milliseconds(3))
        }
        let needs = try await visits.value
        try await harness.reload(config: "")
        try await harness.settle(limit: .seconds(60))
        let byNeed = try await requestsByNeed(harness)
        #expect(needs.count == households.count)
        #expect(byNeed.count == needs.count, "\(needs.count - byNeed.count) needs have no request after \(reloads) reloads")
        #expect(byNeed.values.allSatisfy { $0 == 1 }, "a need has two requests: \(byNeed.filter { $0.value > 1 })")
        await harness.stop()
    }

    @Test func deliveriesMadeWhileVisitsWasAwayResolveTheirNeedsExactlyOnce() async throws {
        let harness = try await PluginHarness(Self.plugins)
        defer { harness.remove() }
        let households = try await community(harness, households: 60)
        for h in households {
            try await harness.ok("visits.record \(h) outcome=answered people=1 needs=\"food:米面油\"", as: .operator)
        }
        try await harness.settle()
        let requests = try await harness.ok("supplies.requests", as: .operator).data.array.compactMap { $0["id"]?.int }
        try #require(requests.count == households.count)
        try await harness.ok("supplies.stock.receive 米面油 qty=\(requests.count) unit=份 source=government", as: .operator)
        for id in requests { try await harness.ok("supplies.request.assign \(id) to=刘敏", as: .operator) }

        // Half delivered with visits disabled; the rest while visits is reloaded back and forth.
        try await harness.reload(config: "[plugins.visits]\nenabled = false\n")
        for id in requests.prefix(30) { try await harness.ok("supplies.request.deliver \(id) by=刘敏", as: .operator) }
        #expect(try await harness.error("visits.needs").name == "unavailable")
        let deliveries = Task {
            for id in requests.dropFirst(30) { _ = try await persist(harness, "supplies.request.deliver \(id) by=刘敏") }
        }
        for i in 0..<20 {
            _ = try? await harness.reload(config: i % 2 == 0 ? "" : "[plugins.visits]\nenabled = false\n")
            try await Task.sleep(for: .milliseconds(3))
        }
        try await deliveries.value
        try await harness.reload(config: "")
        try await harness.settle(limit: .seconds(60))
        #expect(try await harness.ok("visits.needs").data.array.isEmpty, "every delivered need is resolved")
        let resolutions = try await harness.recorded(plugin: "visits").filter { $0.type == "need.resolve" }
        #expect(resolutions.count == households.count, "each need resolved once, not \(resolutions.count) times")
        await harness.stop()
    }
}
