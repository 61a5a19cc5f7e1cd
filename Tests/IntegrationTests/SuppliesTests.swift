import Foundation
import Testing

@Suite("Supplies", .serialized)
final class SuppliesTests {
    let daemon: DaemonProcess

    init() throws {
        daemon = try DaemonProcess()
        var csv = "building,unit,room,name\n"
        for room in 101...160 { csv += "3,2,\(room),住户\(room)\n" }
        daemon.dir.write("r.csv", csv)
        #expect(try daemon.ctl(["--data", daemon.dir.file("r.csv"), "roster.import", "format=csv"]).status == 0)
    }

    deinit { daemon.stop() }

    func data(_ args: [String]) throws -> Any? {
        let r = try daemon.ctl(["--json"] + args)
        return (try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])?["data"]
    }

    @Test func aNeedFoundAtTheDoorIsDeliveredAndResolvedOverTheBus() throws {
        let c = try daemon.client()
        #expect(try c.request("visits.campaign.start 敲门 deadline=2030-01-01").final.hasPrefix("200"))
        #expect(try c.request("visits.record 3-2-101 outcome=answered people=1 needs=\"medicine:降压药\"").final.hasPrefix("200"))
        var request: [String: Any]?
        for _ in 0..<100 where request == nil {
            request = (try data(["supplies.requests"]) as? [[String: Any]])?.first { $0["household"] as? String == "3-2-101" }
            if request == nil { usleep(20_000) }
        }
        let opened = try #require(request, "a medicine need opens a linked request")
        let id = try #require(opened["id"] as? Int)
        #expect(opened["need"] as? Int != nil)
        #expect(try c.request("supplies.request.assign \(id) to=刘敏").final.hasPrefix("409 conflict: request \(id) needs 1 medicine; 0 available"))
        #expect(try c.request("supplies.stock.receive medicine qty=3 unit=份 source=donation from=药店").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.assign \(id) to=刘敏").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.deliver \(id) by=刘敏").final == "200 request \(id) delivered")
        var resolved = false
        for _ in 0..<100 where !resolved {
            resolved = (try data(["visits.needs", "household=3-2-101"]) as? [Any])?.isEmpty == true
            if !resolved { usleep(20_000) }
        }
        #expect(resolved, "delivering the last item resolves the need in visits")
        let history = try #require((try data(["supplies.request", "\(id)"]) as? [String: Any])?["history"] as? [[String: Any]])
        #expect(history.map { $0["status"] as? String } == ["open", "assigned", "delivered"])
    }

    @Test func illegalTransitionsNameBothStates() throws {
        let c = try daemon.client()
        #expect(try c.request("supplies.request.add 3-2-102 items=大米:10kg").final.hasPrefix("200 request "))
        let id = try #require((try data(["supplies.requests"]) as? [[String: Any]])?.first { $0["household"] as? String == "3-2-102" }?["id"] as? Int)
        #expect(try c.request("supplies.request.dispatch \(id)").final == "409 conflict: request \(id) is open; it cannot become out")
        #expect(try c.request("supplies.request.deliver \(id)").final.hasPrefix("409 conflict: request \(id) is open"))
        #expect(try c.request("supplies.request.cancel \(id) reason=重复").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.assign \(id) to=x").final == "409 conflict: request \(id) is cancelled; it cannot become assigned")
        #expect(try c.request("supplies.request.add 9-9-999 items=大米:1kg").final == "404 not_found: household 9-9-999 does not exist")
        #expect(try c.request("supplies.request.add 3-2-103 items=大米").final.hasPrefix("422 invalid_argument: argument 'items'"))
        #expect(try c.request("supplies.request 999").final == "404 not_found: request 999 does not exist")
    }

    @Test func partialDeliveries() throws {
        let c = try daemon.client()
        #expect(try c.request("supplies.stock.receive 大米 qty=100 unit=kg source=government").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.receive 食用油 qty=10 unit=L source=purchase").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.add 3-2-110 items=大米:10kg;食用油:2L priority=urgent").final.hasPrefix("200"))
        let id = try #require((try data(["supplies.requests"]) as? [[String: Any]])?.first { $0["household"] as? String == "3-2-110" }?["id"] as? Int)
        #expect(try c.request("supplies.request.assign \(id) to=王强").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.deliver \(id) items=大米:4kg").final == "200 request \(id) partly delivered")
        #expect(try c.request("supplies.request.deliver \(id) items=大米:7kg").final.hasPrefix("422 invalid_argument: request \(id) has 6 大米 left"))
        let mid = try #require(try data(["supplies.request", "\(id)"]) as? [String: Any])
        #expect(mid["remaining"] as? String == "大米:6;食用油:2")
        #expect(try c.request("supplies.request.deliver \(id)").final == "200 request \(id) delivered")
        let stock = try #require(try data(["supplies.stock"]) as? [[String: Any]])
        #expect(stock.first { $0["item"] as? String == "大米" }?["on_hand"] as? Int == 90)
        #expect(stock.first { $0["item"] as? String == "食用油" }?["on_hand"] as? Int == 8)
    }

    @Test func stockNeverGoesNegativeUnderFiftyConcurrentRequests() throws {
        #expect(try daemon.client().request("supplies.stock.receive 口罩 qty=30 unit=盒 source=donation").final.hasPrefix("200"))
        var lines: [String] = []
        for room in 111...160 { lines.append("supplies.request.add 3-2-\(room) items=口罩:1盒") }
        #expect(try daemon.ctl([], stdin: lines.joined(separator: "\n") + "\n").status == 0)
        let ids = try #require(try data(["supplies.requests", "status=open"]) as? [[String: Any]])
            .filter { ($0["items"] as? String)?.hasPrefix("口罩") == true }.compactMap { $0["id"] as? Int }
        #expect(ids.count == 50)
        // 50 connections race to assign and deliver the last 30 boxes.
        let clients = try ids.map { _ in try daemon.client() }
        for (c, id) in zip(clients, ids) { try c.send("supplies.request.assign \(id) to=志愿者\nsupplies.request.deliver \(id)\n") }
        var delivered = 0, refused = 0
        for c in clients {
            let assign = try c.readReply().final, deliver = try c.readReply().final
            if deliver.hasPrefix("200") { delivered += 1 } else { refused += 1 }
            #expect(assign.hasPrefix("200") || assign.hasPrefix("409 conflict"))
        }
        #expect(delivered == 30)
        #expect(refused == 20)
        let stock = try #require(try data(["supplies.stock"]) as? [[String: Any]])
        #expect(stock.first { $0["item"] as? String == "口罩" }?["on_hand"] as? Int == 0)
        #expect(try daemon.client().request("supplies.stock.adjust 口罩 delta=-1 reason=盘点").final.hasPrefix("409 conflict"))
    }

    @Test func theDonationsLedgerIsExactInFenAndSurvivesARestart() throws {
        let c = try daemon.client()
        #expect(try c.request("supplies.donation.add donor=省图书馆下沉干部 amount=2700 purpose=困难群众").final
            == "200 donation of ¥2700.00 from 省图书馆下沉干部; balance ¥2700.00")
        #expect(try c.request("supplies.donation.add donor=匿名 amount=¥0.10").final.hasPrefix("200"))
        #expect(try c.request("supplies.donation.add donor=x amount=2,700.505").final.hasPrefix("422 invalid_argument: argument 'amount'"))
        #expect(try c.request("supplies.cash.spend amount=2700.11 purpose=药品").final
            == "409 conflict: spending ¥2700.11 would take the balance of ¥2700.10 below zero")
        #expect(try c.request("supplies.cash.spend amount=1,350.05 purpose=药品").final == "200 spent ¥1350.05; balance ¥1350.05")
        let ledger = try #require(try data(["supplies.ledger"]) as? [[String: Any]])
        #expect(ledger.map { $0["amount_fen"] as? Int } == [270_000, 10, 135_005])
        #expect(ledger.last?["balance_fen"] as? Int == 135_005)
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        let again = try DaemonProcess(config: "[daemon]\nstate_dir = \"\(daemon.dir.file("state"))\"\n")
        defer { again.stop() }
        #expect(try again.ctl(["supplies.ledger"]).out.contains("1350.05"))
    }
}
