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
        #expect(try c.request("visits.campaign.start 敲门 deadline=\(Deadline.ahead)").final.hasPrefix("200"))
        #expect(try c.request("visits.record 3-2-101 outcome=answered people=1 needs=\"medicine:降压药\"").final.hasPrefix("200"))
        var request: [String: Any]?
        for _ in 0..<100 where request == nil {
            request = (try data(["supplies.requests"]) as? [[String: Any]])?.first { $0["household"] as? String == "3-2-101" }
            if request == nil { usleep(20_000) }
        }
        let opened = try #require(request, "a medicine need opens a linked request")
        let id = try #require(opened["id"] as? Int)
        #expect(opened["need"] as? Int != nil)
        #expect(opened["items"] as? String == "降压药:1份", "the need's text is the item")
        let none = try c.request("supplies.request.assign \(id) to=刘敏").final
        #expect(none.hasPrefix("409 conflict: request \(id) needs 1 份 降压药: no stock item is called 降压药; no medicine is in stock"), "\(none)")
        #expect(try c.request("supplies.stock.receive 降压药 qty=10 unit=盒 source=donation from=药店 category=medicine").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.assign \(id) to=刘敏").final.hasPrefix("200"), "a need with no unit takes the stock's")
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
        let card = try #require(try data(["supplies.stock.moves", "item=大米"]) as? [[String: Any]])
        #expect(card.map { $0["delta"] as? Int } == [100, -4, -6], "the stock card lists every movement")
        #expect(card.map { $0["balance"] as? Int } == [100, 96, 90])
        #expect(card.map { $0["kind"] as? String } == ["receive", "issue", "issue"])
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
        for bad in ["2,700.505", "1.٣", "١٢٣", "+5", "1,2,3", "1e3", ".5", "2700.", "0", "-3", "12345678901234567"] {
            #expect(try c.request("supplies.donation.add donor=x amount=\(bad)").final.hasPrefix("422 invalid_argument: argument 'amount'"), "\(bad)")
            #expect(try c.request("supplies.cash.spend purpose=x amount=\(bad)").final.hasPrefix("422 invalid_argument: argument 'amount'"), "\(bad)")
        }
        #expect(try c.request("ping").final == "200 pong", "bad amounts never take the daemon down")
        #expect(try c.request("supplies.donation.add donor=匿名 amount=￥1,000.5").final.hasPrefix("200 donation of ¥1000.50"))
        #expect(try c.request("supplies.cash.spend amount=1000.5 purpose=退回").final.hasPrefix("200"))
        #expect(try c.request("supplies.cash.spend amount=2700.11 purpose=药品").final
            == "409 conflict: spending ¥2700.11 would take the balance of ¥2700.10 below zero")
        #expect(try c.request("supplies.cash.spend amount=1,350.05 purpose=药品").final == "200 spent ¥1350.05; balance ¥1350.05")
        let ledger = try #require(try data(["supplies.ledger"]) as? [[String: Any]])
        #expect(ledger.map { $0["amount_fen"] as? Int } == [270_000, 10, 100_050, 100_050, 135_005])
        #expect(ledger.last?["balance_fen"] as? Int == 135_005)
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        let again = try DaemonProcess(config: "[daemon]\nstate_dir = \"\(daemon.dir.file("state"))\"\n")
        defer { again.stop() }
        #expect(try again.ctl(["supplies.ledger"]).out.contains("1350.05"))
    }

    @Test func deliveryRunsLowStockEventsTheStatementAndTheReport() throws {
        let c = try daemon.client()
        let watcher = try daemon.client()
        #expect(try watcher.request("subscribe supplies.stock.low").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.receive 鸡蛋 qty=6 unit=盒 source=purchase").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.threshold 鸡蛋 low=3").final.hasPrefix("200"))
        for room in [150, 102, 121] {
            #expect(try c.request("supplies.request.add 3-2-\(room) items=鸡蛋:1盒").final.hasPrefix("200"))
        }
        let ids = try #require(try data(["supplies.requests", "building=3"]) as? [[String: Any]])
            .filter { ($0["items"] as? String) == "鸡蛋:1盒" }.compactMap { $0["id"] as? Int }
        for id in ids { #expect(try c.request("supplies.request.assign \(id) to=王强").final.hasPrefix("200")) }
        let plan = try #require(try data(["supplies.run.plan", "building=3"]) as? [String: Any])
        let stops = try #require(plan["stops"] as? [[String: Any]])
        #expect(stops.compactMap { $0["household"] as? String }.filter { ["3-2-102", "3-2-121", "3-2-150"].contains($0) }
            == ["3-2-102", "3-2-121", "3-2-150"], "walking order")
        let run = try #require(plan["run"] as? Int)
        #expect(try c.request("supplies.run.done \(run) by=王强").final.hasPrefix("200 run \(run): "))
        let low = try #require(try watcher.readLine(timeout: 5))
        #expect(low.hasPrefix("600 supplies.stock.low ") && low.contains(#""item":"鸡蛋""#))
        #expect(try c.request("supplies.run.done \(run)").final.hasPrefix("409 conflict"))
        #expect(try c.request("supplies.donation.add donor=张三 amount=500 purpose=买菜 consent=yes").final.hasPrefix("200"))
        #expect(try c.request("supplies.cash.spend amount=120.5 purpose=鸡蛋").final.hasPrefix("200"))
        let statement = try daemon.ctl(["supplies.ledger.public", "anonymise=yes"]).out
        #expect(statement.contains("爱心人士") && !statement.contains("张三"), "donors anonymised")
        #expect(statement.contains("120.50") && statement.contains("结余"))
        let named = try daemon.ctl(["supplies.ledger.public"]).out
        #expect(named.contains("张三"))
        let report = try #require(try data(["supplies.report"]) as? [String: Any])
        #expect((report["requests_delivered"] as? Int ?? 0) >= 3)
        #expect((report["stock_low"] as? [String])?.contains("鸡蛋") == true)
        #expect(report["cash_out"] as? String != nil)
    }

    @Test(.enabled(if: AccessTests.canSwitchUser, "needs root and setpriv"))
    func viewersDoNotSeeNotesOrDonors() throws {
        let viewerDaemon = try DaemonProcess(config: "[daemon]\nsocket_group = \"nogroup\"\n[access.users]\nnobody = \"viewer\"\n")
        defer { viewerDaemon.stop() }
        let c = try viewerDaemon.client()
        #expect(try c.request("roster.resident.add 3-2-501 name=王芳").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.add 3-2-501 items=药:1盒 note=独居老人电话13812345678").final.hasPrefix("200"))
        #expect(try c.request("supplies.donation.add donor=张三 amount=100").final.hasPrefix("200"))
        let requests = try AccessTests().asNobody(viewerDaemon, ["--json", "supplies.request", "1"])
        #expect(requests.status == 0 && !requests.out.contains("13812345678") && requests.out.contains(#""note":"***""#), "\(requests.out)")
        let ledger = try AccessTests().asNobody(viewerDaemon, ["--json", "supplies.ledger"])
        #expect(ledger.status == 0 && !ledger.out.contains("张三"))
        let add = try AccessTests().asNobody(viewerDaemon, ["supplies.donation.add", "donor=x", "amount=1"])
        #expect(add.err.contains("403 forbidden"))
    }

    @Test func unitsAndReservationsAreRespected() throws {
        let c = try daemon.client()
        #expect(try c.request("supplies.stock.receive 面粉 qty=5 unit=袋 source=purchase").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.add 3-2-157 items=面粉:10kg").final.hasPrefix("200"))
        let id = try #require((try data(["supplies.requests", "status=all"]) as? [[String: Any]])?.compactMap { $0["id"] as? Int }.max())
        #expect(try c.request("supplies.request.assign \(id) to=甲").final.hasPrefix("409 conflict: request \(id) asks for 面粉 in kg, but stock counts it in 袋"))
        #expect(try c.request("supplies.request.add 3-2-158 items=面粉:4袋").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.assign \(id + 1) to=甲").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.adjust 面粉 delta=-2 reason=受潮").final.hasPrefix("409 conflict: 面粉: 5 on hand, 4 reserved"))
        let history = try #require((try data(["supplies.request", "\(id + 1)"]) as? [String: Any])?["history"] as? [[String: Any]])
        #expect(history.last?["by"] as? String == "uid 0", "who assigned it is recorded")
    }

    @Test func everySuppliesCommandAnswersInJSON() throws {
        let c = try daemon.client()
        _ = try c.requestJSON("hello format=json")
        for call in ["supplies.stock.receive 面条 qty=5 unit=包 source=government", "supplies.stock.threshold 面条 low=1",
                     "supplies.stock.adjust 面条 delta=-1 reason=破损", "supplies.request.add 3-2-140 items=面条:2包 priority=high",
                     "supplies.requests status=all", "supplies.stock", "supplies.donation.add donor=李四 amount=100",
                     "supplies.cash.spend amount=1 purpose=x", "supplies.ledger", "supplies.ledger.public", "supplies.report",
                     "supplies.stock.receive 面条2 qty=5 unit=包 source=donation", "supplies.request.add 3-2-141 items=面条2:1包",
                     "supplies.request.assign 2 to=甲", "supplies.request.dispatch 2", "supplies.request 2",
                     "supplies.run.plan building=3", "supplies.run.done 1", "supplies.request.add 3-2-142 items=面条2:1包",
                     "supplies.request.cancel 3 reason=重复"] {
            let reply = try c.requestJSON(call)
            #expect(reply["ok"] as? Bool == true, "\(call): \(reply)")
        }
    }

    @Test func everyIllegalTransitionIsRefused() throws {
        let c = try daemon.client()
        #expect(try c.request("supplies.stock.receive 水 qty=100 unit=桶 source=donation").final.hasPrefix("200"))
        /// A request brought to `state` by the given legal steps.
        func request(_ steps: [String]) throws -> Int {
            #expect(try c.request("supplies.request.add 3-2-155 items=水:1桶").final.hasPrefix("200"))
            let id = try #require((try data(["supplies.requests", "status=all"]) as? [[String: Any]])?.compactMap { $0["id"] as? Int }.max())
            for step in steps { #expect(try c.request("supplies.request.\(step.replacingOccurrences(of: "ID", with: "\(id)"))").final.hasPrefix("200"), "\(step)") }
            return id
        }
        let states: [(String, [String])] = [
            ("open", []), ("assigned", ["assign ID to=甲"]), ("out", ["assign ID to=甲", "dispatch ID"]),
            ("delivered", ["assign ID to=甲", "deliver ID"]), ("cancelled", ["cancel ID reason=不要了"]),
        ]
        let actions: [(String, String, Set<String>)] = [
            ("assign ID to=乙", "assigned", ["open"]), ("dispatch ID", "out", ["assigned"]),
            ("cancel ID reason=x", "cancelled", ["open", "assigned", "out"]),
        ]
        var refused = 0
        for (state, steps) in states {
            for (action, target, allowed) in actions where !allowed.contains(state) {
                let id = try request(steps)
                let reply = try c.request("supplies.request.\(action.replacingOccurrences(of: "ID", with: "\(id)"))").final
                #expect(reply == "409 conflict: request \(id) is \(state); it cannot become \(target)", "\(state) → \(action)")
                refused += 1
            }
            if !["assigned", "out"].contains(state) {
                let id = try request(steps)
                #expect(try c.request("supplies.request.deliver \(id)").final.hasPrefix("409 conflict: request \(id) is \(state)"))
                refused += 1
            }
        }
        #expect(refused == 13)
        // Requests and stock survive a restart too.
        let before = try daemon.ctl(["supplies.requests", "status=all"]).out
        let stock = try daemon.ctl(["supplies.stock"]).out
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        let again = try DaemonProcess(config: "[daemon]\nstate_dir = \"\(daemon.dir.file("state"))\"\n")
        defer { again.stop() }
        #expect(try again.ctl(["supplies.requests", "status=all"]).out.split(separator: "\n").count == before.split(separator: "\n").count)
        #expect(try again.ctl(["supplies.stock"]).out == stock)
    }
}
