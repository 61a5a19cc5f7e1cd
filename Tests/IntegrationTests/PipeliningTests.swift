import Foundation
import Testing

@Suite("Pipelining and concurrency", .serialized)
final class PipeliningTests {
    let daemon: DaemonProcess

    init() throws { daemon = try DaemonProcess() }
    deinit { daemon.stop() }

    @Test func thousandTaggedRequestsAnsweredInOrder() throws {
        let c = try daemon.client()
        var batch = ""
        for i in 0..<1000 {
            batch += i % 3 == 0 ? "@r\(i) probe.echo 第\(i)号\n" : (i % 3 == 1 ? "@r\(i) ping\n" : "@r\(i) nosuch\n")
        }
        try c.send(batch)
        for i in 0..<1000 {
            let reply = try c.readReply()
            #expect(reply.allSatisfy { $0.hasPrefix("@r\(i) ") }, "reply \(i): \(reply)")
            switch i % 3 {
            case 0: #expect(reply == ["@r\(i) 200-第\(i)号", "@r\(i) 200 ok"])
            case 1: #expect(reply == ["@r\(i) 200 pong"])
            default: #expect(reply.final.hasPrefix("405 unknown_command"))
            }
        }
    }

    @Test func twoHundredConcurrentConnections() throws {
        var clients: [LineClient] = []
        for _ in 0..<200 { clients.append(try daemon.client()) }
        for (i, c) in clients.enumerated() { try c.send("@c\(i) probe.echo \(i)\n") }
        for (i, c) in clients.enumerated() {
            #expect(try c.readReply() == ["@c\(i) 200-\(i)", "@c\(i) 200 ok"])
        }
        let status = try clients[0].request("status")
        #expect(status.contains { $0.contains("open:") && $0.hasSuffix("200") })
    }

    @Test func slowRequestDoesNotStallOtherClients() throws {
        let slow = try daemon.client()
        try slow.send("probe.sleep ms=1500\n")
        let start = Date()
        let fast = try daemon.client()
        #expect(try fast.request("ping") == ["200 pong"])
        #expect(Date().timeIntervalSince(start) < 1.0)
        #expect(try slow.readReply() == ["200 slept"])
    }

    @Test func eventsAreDeliveredToSubscribersAndNeverSplitAReply() throws {
        let subscriber = try daemon.client()
        #expect(try subscriber.request("subscribe probe.*").final == "200 subscribed to probe.*")
        let publisher = try daemon.client()
        let published = try publisher.request("probe.publish hello text=\"门口 见\"")
        #expect(published.final == "200 published probe.hello")
        let line = try #require(try subscriber.readLine())
        #expect(line.hasPrefix("600 probe.hello "))
        #expect(line.hasSuffix(#" {"text":"门口 见"}"#))
        // Replies stay whole while events arrive.
        try subscriber.send("probe.table\n")
        for _ in 0..<20 { _ = try publisher.request("probe.publish tick") }
        let table = try subscriber.readReply()
        #expect(table.count == 5)
        #expect(table.allSatisfy { $0.hasPrefix("200") })
        let eventCount = subscriber.events.count
        var more = 0
        while subscriber.events.count + more < 20 {
            guard let l = try subscriber.readLine(timeout: 5) else { break }
            #expect(l.hasPrefix("600 probe.tick "))
            more += 1
        }
        #expect(eventCount + more == 20)
        #expect(try subscriber.request("unsubscribe").final == "200 no subscriptions")
        _ = try publisher.request("probe.publish after")
        #expect(try subscriber.request("ping") == ["200 pong"])
        #expect(!subscriber.events.contains { $0.contains("probe.after") })
    }

    @Test func eventsInJSONAndTimers() throws {
        let c = try daemon.client()
        _ = try c.requestJSON("hello format=json")
        let sub = try c.requestJSON("subscribe probe.timer.*")
        #expect((sub["data"] as? [String: Any])?["patterns"] as? [String] == ["probe.timer.*"])
        _ = try c.requestJSON("probe.timer after=200ms name=巡查")
        let event = try c.readJSON(timeout: 5)
        #expect(event["event"] as? String == "probe.timer.fired")
        #expect((event["seq"] as? Int ?? 0) > 0)
        #expect((event["data"] as? [String: Any])?["name"] as? String == "巡查")
        #expect(event["time"] is String)
    }
}
