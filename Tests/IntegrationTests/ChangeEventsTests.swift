import Foundation
import Testing

/// Every change is an event a dashboard can follow (issue 17): `NAMESPACE.changed`, committed
/// with the change (the same `seq` as the plugin's own events), ids and kinds only.
@Suite("Change events", .serialized)
struct ChangeEventsTests {
    @Test func everyChangePublishesOneEventWithoutPersonalText() throws {
        let daemon = try FieldUseTests.community()
        defer { daemon.stop() }
        let watcher = try daemon.client()
        _ = try watcher.request("subscribe *")
        let steps: [[String]] = [
            ["visits.campaign.start", "第一轮", "deadline=2099-01-01T00:00+08:00"],
            ["visits.record", "3-1-101", "outcome=answered", "people=2", "note=王芳说老伴住院了", "needs=medicine:降压药x2盒"],
            ["roster.resident.add", "3-1-102", "name=李秀英", "phone=13912345678", "tags=elderly-alone"],
            ["supplies.donation.add", "donor=爱心企业张总", "amount=500"],
            ["supplies.stock.receive", "大米", "qty=20", "unit=袋", "source=donation", "from=王老板"],
        ]
        for step in steps { #expect(try daemon.ctl(step).status == 0, "\(step)") }
        // Reads publish nothing.
        _ = try daemon.ctl(["roster.household", "3-1-101"])
        var lines: [String] = []
        // The host's NAMESPACE.changed (one dot), not a plugin's own such as roster.residents.changed.
        func isChange(_ line: String) -> Bool {
            let name = line.split(separator: " ").dropFirst().first ?? ""
            return name.hasSuffix(".changed") && name.split(separator: ".").count == 2
        }
        while lines.filter(isChange).count < steps.count, let line = try watcher.readLine(timeout: 5) {
            lines.append(line)
        }
        let changes = lines.filter(isChange)
        #expect(changes.map { $0.split(separator: " ")[1] } == ["visits.changed", "visits.changed", "roster.changed", "supplies.changed", "supplies.changed"], "\(lines)")
        #expect(changes[1].hasSuffix(#"{"command":"visits.record","args":{"household":"3-1-101","outcome":"answered","people":2}}"#), "\(changes[1])")
        #expect(changes[3].hasSuffix(#"{"command":"supplies.donation.add","args":{"amount":"500"}}"#), "\(changes[3])")
        // Committed with the change: the visit's need event has the same seq.
        let needOpened = try #require(lines.first { $0.contains(" visits.need.opened ") })
        #expect(needOpened.split(separator: " ")[2] == changes[1].split(separator: " ")[2])
        for secret in ["王芳", "住院", "李秀英", "13912345678", "张总", "王老板"] {
            #expect(!lines.joined().contains(secret), "\(secret) reached a viewer's event stream")
        }
        #expect(throws: (any Error).self, "a read published an event") { try watcher.readLine(timeout: 0.5) }
    }
}
