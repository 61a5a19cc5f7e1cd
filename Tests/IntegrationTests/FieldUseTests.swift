import Foundation
import Testing

/// Roster, visits and supplies as a community office uses them (issue 14): needs that become
/// the right delivery and close, and no household forgotten. Through the real daemon, with the
/// Chinese a community office types.
@Suite("Field use: needs to deliveries, no household forgotten", .serialized)
struct FieldUseTests {
    /// Buildings 3 and 4, two units, four flats each: 16 households with a resident each.
    static let register: String = {
        var out = "\u{FEFF}楼栋,单元,房号,姓名,电话\n"
        let names = ["王芳", "李伟", "张敏", "刘强", "陈静", "杨洋", "赵磊", "黄丽"]
        var i = 0
        for building in 3...4 {
            for unit in 1...2 {
                for room in [101, 102, 201, 202] {
                    out += "\(building),\(unit),\(room),\(names[i % names.count])\(i),1380000\(String(format: "%04d", i))\n"
                    i += 1
                }
            }
        }
        return out
    }()

    static func community(_ config: String = "") throws -> DaemonProcess {
        let daemon = try DaemonProcess(config: config + "\n[daemon]\ntimezone = \"Asia/Shanghai\"\n")
        daemon.dir.write("register.csv", register)
        let imported = try daemon.ctl(["--data", daemon.dir.file("register.csv"), "roster.import", "format=csv"])
        #expect(imported.status == 0, "\(imported.out) \(imported.err)")
        return daemon
    }

    /// The `data` of a JSON reply (doorstepctl --json), or the failure.
    static func data(_ daemon: DaemonProcess, _ args: [String]) throws -> Any {
        let r = try daemon.ctl(["--json"] + args)
        let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        return try #require(object?["data"], "\(args): \(r.out) \(r.err)")
    }

    static func object(_ daemon: DaemonProcess, _ args: [String]) throws -> [String: Any] {
        try #require(try data(daemon, args) as? [String: Any], "\(args)")
    }

    static func rows(_ daemon: DaemonProcess, _ args: [String]) throws -> [[String: Any]] {
        try #require(try data(daemon, args) as? [[String: Any]], "\(args)")
    }

    /// Waits (up to 5 s) for what durable reactions do between plugins.
    static func eventually(_ what: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<250 {
            if try what() { return true }
            usleep(20_000)
        }
        return try what()
    }

    static func request(_ daemon: DaemonProcess, household: String) throws -> [String: Any]? {
        try rows(daemon, ["supplies.requests", "status=all"]).last { $0["household"] as? String == household }
    }

    // MARK: Needs become the right delivery, and close

    /// `needs="medicine:降压药x2盒"` opens a request for 2 盒 of 降压药 (the text used to be lost
    /// as `medicine:1份`, refused with 10 盒 of 降压药 in stock); delivering it closes the need.
    @Test func aNeedsTextAndQuantityBecomeTheRequestsItemAndTheNeedCloses() throws {
        let daemon = try Self.community()
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("visits.campaign.start 敲门 deadline=\(Deadline.ahead)").final.hasPrefix("200"))
        let visit = try c.request("visits.record 3-1-101 outcome=answered people=2 needs=\"medicine:降压药x2盒;food:大米×10kg\"")
        #expect(visit.final == "200 recorded answered at 3-1-101; 2 needs opened", "\(visit)")
        let needs = try Self.rows(daemon, ["visits.needs"])
        #expect(needs.map { $0["item"] as? String } == ["降压药", "大米"])
        #expect(needs.map { $0["quantity"] as? Int } == [2, 10] && needs.map { $0["unit"] as? String } == ["盒", "kg"])
        #expect(try Self.eventually { try Self.rows(daemon, ["supplies.requests"]).count == 2 })
        let requests = try Self.rows(daemon, ["supplies.requests"])
        let medicine = try #require(requests.first { $0["items"] as? String == "降压药:2盒" }, "\(requests)")
        #expect(requests.contains { $0["items"] as? String == "大米:10kg" })
        let id = try #require(medicine["id"] as? Int)
        #expect(try c.request("supplies.stock.receive 降压药 qty=10 unit=盒 source=donation category=medicine").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.assign \(id) to=刘敏").final == "200 request \(id) assigned to 刘敏")
        #expect(try Self.rows(daemon, ["supplies.stock"]).first?["reserved"] as? Int == 2)
        #expect(try c.request("supplies.request.deliver \(id) by=刘敏").final == "200 request \(id) delivered")
        #expect(try Self.rows(daemon, ["supplies.stock"]).first?["on_hand"] as? Int == 8)
        #expect(try Self.eventually { try Self.rows(daemon, ["visits.needs"]).map { $0["item"] as? String } == ["大米"] },
                "the medicine need is closed by its delivery")
        // A need written badly is refused with the grammar.
        let bad = try c.request("visits.record 3-1-102 outcome=answered people=1 needs=\"medicine:x2盒\"").final
        #expect(bad.hasPrefix("422 invalid_argument: argument 'needs': 'medicine:x2盒' gives a quantity but no item"), "\(bad)")
        let longUnit = try c.request("visits.record 3-1-102 outcome=answered people=1 needs=\"medicine:降压药x2 boxes\"").final
        #expect(longUnit.hasPrefix("422 invalid_argument: argument 'needs': the unit 'boxes' in 'medicine:降压药x2 boxes' is not 1 to 4"), "\(longUnit)")
        let unknown = try c.request("visits.record 3-1-102 outcome=answered people=1 needs=\"药品:降压药\"").final
        #expect(unknown.contains("unknown category '药品'") && unknown.contains("medicine:降压药x2盒"), "\(unknown)")
    }

    /// A request item is matched to stock by name, then by `[plugins.supplies.aliases]`; with
    /// neither, the 409 lists the stock of its category and the two remedies.
    @Test func requestItemsAreMatchedToStockByNameThenAliasElseAClearConflict() throws {
        let daemon = try Self.community("[plugins.supplies.aliases]\n\"降压药\" = \"硝苯地平片\"\n")
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("visits.campaign.start 敲门 deadline=\(Deadline.ahead)").final.hasPrefix("200"))
        #expect(try c.request("visits.record 3-1-101 outcome=answered people=1 needs=\"medicine:降压药x2盒\"").final.hasPrefix("200"))
        #expect(try c.request("visits.record 3-1-102 outcome=answered people=1 needs=\"medicine:胰岛素\"").final.hasPrefix("200"))
        #expect(try Self.eventually { try Self.rows(daemon, ["supplies.requests"]).count == 2 })
        #expect(try c.request("supplies.stock.receive 硝苯地平片 qty=10 unit=盒 source=purchase category=medicine").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.receive 阿司匹林 qty=5 unit=盒 source=donation category=medicine").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.receive 大米 qty=20 unit=袋 source=government category=food").final.hasPrefix("200"))
        let aliased = try #require(try Self.request(daemon, household: "3-1-101")?["id"] as? Int)
        #expect(try c.request("supplies.request.assign \(aliased) to=刘敏").final.hasPrefix("200"))
        #expect(try Self.request(daemon, household: "3-1-101")?["items"] as? String == "降压药:2盒→硝苯地平片")
        #expect(try c.request("supplies.request.deliver \(aliased)").final.hasPrefix("200"))
        let stock = try Self.rows(daemon, ["supplies.stock"])
        #expect(stock.first { $0["item"] as? String == "硝苯地平片" }?["on_hand"] as? Int == 8, "the alias's stock item was issued")

        // Two items drawing on one stock item are added up; a delivery through an alias reports low stock.
        #expect(try c.request("supplies.stock.threshold 硝苯地平片 low=3").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.add 3-2-101 items=降压药:5盒;硝苯地平片:4盒 category=medicine").final.hasPrefix("200"))
        let both = try #require(try Self.request(daemon, household: "3-2-101")?["id"] as? Int)
        #expect(try c.request("supplies.request.assign \(both) to=刘敏").final
            == "409 conflict: request \(both) needs 9 盒 硝苯地平片; 8 盒 available (receive stock, or edit the request)")
        #expect(try c.request("supplies.request.edit \(both) items=降压药:3盒;硝苯地平片:2盒").final.hasPrefix("200"))
        let watcher = try daemon.client()
        #expect(try watcher.request("subscribe supplies.stock.low").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.assign \(both) to=刘敏").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.deliver \(both)").final.hasPrefix("200"))
        let low = try #require(try watcher.readLine(timeout: 5))
        #expect(low.hasPrefix("600 supplies.stock.low ") && low.contains(#""item":"硝苯地平片""#) && low.contains(#""on_hand":3"#), "\(low)")

        let insulin = try #require(try Self.request(daemon, household: "3-1-102")?["id"] as? Int)
        let refused = try c.request("supplies.request.assign \(insulin) to=刘敏").final
        #expect(refused == "409 conflict: request \(insulin) needs 1 份 胰岛素: no stock item is called 胰岛素; medicine in stock: "
            + "硝苯地平片 (3 盒 available), 阿司匹林 (5 盒 available). Edit the request (supplies.request.edit \(insulin) "
            + "items=NAME:QUANTITYUNIT) or add an alias (\"胰岛素\" = \"NAME\" in [plugins.supplies.aliases])", "\(refused)")
        #expect(!refused.contains("大米"), "only stock of the need's category is listed")
        // A broken alias table is a config error with its place.
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("bad.toml", "[plugins.supplies.aliases]\n\"降压药\" = 3\n")
        let check = try DaemonProcess.run(Binaries.doorstepd, ["--config", dir.file("bad.toml"), "--check-config"])
        #expect(check.status != 0 && check.err.contains("aliases.降压药") && check.err.contains("expected the name of a stock item"),
                "\(check.err)")
    }

    /// `supplies.request.edit` changes a request while it is open or assigned (history kept,
    /// reservation re-checked) and is refused once it is out for delivery.
    @Test func aRequestIsEditedBeforeItGoesOutWithItsHistoryKept() throws {
        let daemon = try Self.community()
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("supplies.stock.receive 大米 qty=12 unit=袋 source=government").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.add 4-2-201 items=大米:1袋 note=独居老人").final.hasPrefix("200 request 1 for 4-2-201 opened"))
        #expect(try c.request("supplies.request.edit 1 items=大米:2袋;食用油:1L priority=urgent").final
            == "200 request 1 edited: items 大米 1 袋 → 大米 2 袋, 食用油 1 L; priority normal → urgent")
        #expect(try c.request("supplies.request.assign 1 to=王芳").final.hasPrefix("409 conflict: request 1 needs 1 L 食用油: no stock item"))
        #expect(try c.request("supplies.request.edit 1 items=大米:2袋").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.assign 1 to=王芳").final.hasPrefix("200"))
        // Assigned: the new quantity must be available (12 on hand, 2 reserved by itself).
        #expect(try c.request("supplies.request.edit 1 items=大米:13袋").final == "409 conflict: request 1 needs 13 袋 大米; 12 袋 available (receive stock, or edit the request)")
        #expect(try c.request("supplies.request.edit 1 items=大米:12袋").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.edit 1").final.hasPrefix("420 missing_argument: nothing to change"))
        #expect(try c.request("supplies.request.deliver 1 items=大米:5袋").final == "200 request 1 partly delivered")
        #expect(try c.request("supplies.request.edit 1 items=大米:4袋").final
            == "422 invalid_argument: request 1 already delivered 5 大米; the quantity cannot be less")
        #expect(try c.request("supplies.request.edit 1 items=面粉:1袋").final
            == "422 invalid_argument: request 1 already delivered 5 大米; keep it in items=")
        #expect(try c.request("supplies.request.dispatch 1").final.hasPrefix("200"))
        let out = try c.request("supplies.request.edit 1 items=大米:1袋").final
        #expect(out.hasPrefix("409 conflict: request 1 is out; only an open or assigned request can be edited"), "\(out)")
        let history = try #require((try Self.object(daemon, ["supplies.request", "1"]))["history"] as? [[String: Any]])
        #expect(history.compactMap { $0["status"] as? String }
            == ["open", "edited", "edited", "assigned", "edited", "partly delivered: 大米×5", "out"])
        #expect((history[1]["note"] as? String)?.contains("大米 1 袋 → 大米 2 袋") == true)
    }

    /// A hand-made request links to a need (`need=ID`); a need closes when the last request
    /// linked to it is delivered, and is open again (with an event) when its request is
    /// cancelled with nothing delivered.
    @Test func aNeedClosesWithItsLastRequestAndReopensWhenItsRequestIsCancelled() throws {
        let daemon = try Self.community()
        defer { daemon.stop() }
        let c = try daemon.client()
        let watcher = try daemon.client()
        #expect(try watcher.request("subscribe visits.need.* supplies.need.*").final.hasPrefix("200"))
        #expect(try c.request("visits.campaign.start 敲门 deadline=\(Deadline.ahead)").final.hasPrefix("200"))
        #expect(try c.request("visits.record 3-2-202 outcome=answered people=1 needs=\"food:米面油\"").final.hasPrefix("200"))
        #expect(try Self.eventually { try Self.request(daemon, household: "3-2-202") != nil })
        let first = try #require(try Self.request(daemon, household: "3-2-202")?["id"] as? Int)
        #expect(try c.request("supplies.request.cancel \(first) reason=重复登记").final.hasPrefix("200"))
        #expect(try watcher.readLine(timeout: 5)?.hasPrefix("600 visits.need.opened ") == true)
        let reopenedBySupplies = try #require(try watcher.readLine(timeout: 5))
        #expect(reopenedBySupplies.hasPrefix("600 supplies.need.reopened ") && !reopenedBySupplies.contains("重复登记"),
                "the cancel reason stays out of events: \(reopenedBySupplies)")
        let reopened = try #require(try watcher.readLine(timeout: 5))
        #expect(reopened.hasPrefix("600 visits.need.reopened ") && reopened.contains(#""id":1"#), "\(reopened)")
        let need = try #require(try Self.rows(daemon, ["visits.needs"]).first)
        #expect(need["status"] as? String == "open" && need["reopened"] is String)
        #expect((need["reopen_note"] as? String)?.contains("request \(first) cancelled") == true)
        let followups = try Self.rows(daemon, ["visits.followups"])
        #expect(followups.first { $0["household"] as? String == "3-2-202" }?["needs"] as? String == "need 1 food:米面油 (reopened: supplies request \(first) cancelled)")

        // Two hand-made requests for the same need: it closes with the last delivery, not the first.
        #expect(try c.request("supplies.request.add 3-2-201 items=大米:1袋 need=1").final
            == "422 invalid_argument: need 1 is for household 3-2-202, not 3-2-201")
        #expect(try c.request("supplies.request.add 3-2-202 items=大米:1袋 need=99").final.hasPrefix("404 not_found: need 99 does not exist"))
        #expect(try c.request("supplies.request.add 3-2-202 items=大米:1袋 need=1").final.hasSuffix("for need 1"))
        #expect(try c.request("supplies.request.add 3-2-202 items=食用油:1桶 need=1").final.hasSuffix("for need 1"))
        #expect(try c.request("supplies.stock.receive 大米 qty=5 unit=袋 source=purchase").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.receive 食用油 qty=5 unit=桶 source=purchase").final.hasPrefix("200"))
        for id in [first + 1, first + 2] { #expect(try c.request("supplies.request.assign \(id) to=李伟").final.hasPrefix("200")) }
        #expect(try c.request("supplies.request.deliver \(first + 1)").final.hasPrefix("200"))
        usleep(300_000)
        #expect(try Self.rows(daemon, ["visits.needs"]).count == 1, "one of two requests delivered: the need is still open")
        #expect(try c.request("supplies.request.deliver \(first + 2)").final.hasPrefix("200"))
        #expect(try Self.eventually { try Self.rows(daemon, ["visits.needs"]).isEmpty }, "the last linked request closed the need")
        #expect(try c.request("supplies.request.add 3-2-202 items=大米:1袋 need=1").final == "409 conflict: need 1 is already resolved")

        // One request of a need delivered, the other cancelled: the need is met.
        #expect(try c.request("visits.record 3-2-201 outcome=answered people=1 needs=\"food:大米x2袋\"").final.hasPrefix("200"))
        #expect(try Self.eventually { try Self.request(daemon, household: "3-2-201") != nil })
        let auto = try #require(try Self.request(daemon, household: "3-2-201")?["id"] as? Int)
        #expect(try c.request("supplies.request.add 3-2-201 items=食用油:1桶 need=2").final.hasSuffix("for need 2"))
        #expect(try c.request("supplies.request.assign \(auto) to=李伟").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.deliver \(auto)").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.cancel \(auto + 1) reason=不需要了").final.hasPrefix("200"))
        #expect(try Self.eventually { try Self.rows(daemon, ["visits.needs"]).isEmpty }, "delivered by the other request: need 2 is met")

        // A need closed by hand stays closed when its request is cancelled.
        #expect(try c.request("visits.record 3-1-202 outcome=answered people=1 needs=\"medicine:胰岛素x1盒\"").final.hasPrefix("200"))
        #expect(try Self.eventually { try Self.request(daemon, household: "3-1-202") != nil })
        #expect(try c.request("visits.need.resolve 3 by=王芳 note=家属已送来").final.hasPrefix("200"))
        let third = try #require(try Self.request(daemon, household: "3-1-202")?["id"] as? Int)
        #expect(try c.request("supplies.request.cancel \(third) reason=家属已送来").final.hasPrefix("200"))
        usleep(300_000)
        let closed = try Self.rows(daemon, ["visits.needs", "status=all", "household=3-1-202"])
        #expect(closed.first?["status"] as? String == "resolved" && closed.first?["by"] as? String == "王芳", "\(closed)")
    }

    /// `supplies.run.done` says what was delivered and what was skipped and why, with units;
    /// `supplies.stock` flags items at or under their threshold.
    @Test func aRunSaysWhatItDeliveredAndSkippedWithUnitsAndLowStockIsFlagged() throws {
        let daemon = try Self.community()
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("supplies.stock.receive 大米 qty=14 unit=袋 source=government category=food").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.receive 口罩 qty=100 unit=个 source=donation category=prevention").final.hasPrefix("200"))
        for (household, items) in [("3-1-101", "大米:10袋"), ("3-1-102", "大米:4袋;口罩:20个"), ("3-1-201", "口罩:10个")] {
            #expect(try c.request("supplies.request.add \(household) items=\(items)").final.hasPrefix("200"))
        }
        for id in 1...3 { #expect(try c.request("supplies.request.assign \(id) to=王芳").final.hasPrefix("200")) }
        let plan = try c.request("supplies.run.plan building=3")
        #expect(plan.contains("200-load: 口罩 30 个, 大米 14 袋"), "\(plan)")
        // Stock taken away before the run: request 1's rice is no longer there.
        #expect(try c.request("supplies.stock.adjust 大米 delta=0 reason=盘点").final.hasPrefix("200"))
        #expect(try c.request("supplies.request.deliver 2 items=大米:4袋").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.threshold 大米 low=10").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.adjust 大米 delta=-2 reason=受潮").final.hasPrefix("409"), "reserved for request 1")
        #expect(try c.request("supplies.request.cancel 1 reason=已搬走").final.hasPrefix("200"))
        #expect(try c.request("supplies.stock.adjust 大米 delta=-2 reason=受潮").final.hasPrefix("200"))
        let done = try c.request("supplies.run.done 1 by=王芳")
        #expect(done.final == "200 run 1: 2 delivered, 1 skipped", "\(done)")
        #expect(done.contains("200-delivered: 2 requests (2 3-1-102, 3 3-1-201)"), "\(done)")
        #expect(done.contains("200-load: 口罩 30 个"), "\(done)")
        #expect(done.contains("200-skipped: request 1 3-1-101: no longer assigned"), "\(done)")
        let stock = try Self.rows(daemon, ["supplies.stock"])
        #expect(stock.first { $0["item"] as? String == "大米" }?["flag"] as? String == "LOW 低库存")
        #expect(stock.first { $0["item"] as? String == "口罩" }?["flag"] as? String == "")
        #expect(try c.request("supplies.stock").final == "200 2 items, 1 at or under their threshold")
    }

    /// Cash: a donation entered by mistake is voided by a reversing entry (admin only), shown
    /// in the public statement; donors are named there only with their consent; money is
    /// integer fen plus its text.
    @Test(.enabled(if: AccessTests.canSwitchUser, "needs root and setpriv"))
    func donationsAreVoidedNeverDeletedAndNamedOnlyWithConsent() throws {
        let daemon = try DaemonProcess(config: "[daemon]\nsocket_group = \"nogroup\"\n[access.users]\nnobody = \"viewer\"\n")
        defer { daemon.stop() }
        let c = try daemon.client()
        let added = try c.request("supplies.donation.add donor=省图书馆下沉干部 amount=2700 purpose=困难群众 consent=yes").final
        #expect(added == "200 donation of ¥2700.00 from 省图书馆下沉干部; balance ¥2700.00")
        #expect(try c.request("supplies.donation.add donor=王建国 amount=500").final.hasPrefix("200"))
        #expect(try c.request("supplies.donation.add donor=李秀英 amount=50.5 purpose=买菜").final.hasPrefix("200"))
        let asViewer = try AccessTests().asNobody(daemon, ["supplies.donation.void", "3", "reason=重复录入"])
        #expect(asViewer.err.contains("403 forbidden: supplies.donation.void needs role admin"), "\(asViewer.err)")
        #expect(try c.request("supplies.donation.void 3 reason=重复录入").final
            == "200 donation 3 of ¥50.50 voided (entry 4); balance ¥3200.00")
        #expect(try c.request("supplies.donation.void 3 reason=再来").final == "409 conflict: donation 3 was already voided (ledger entry 4)")
        #expect(try c.request("supplies.donation.void 9 reason=x").final.hasPrefix("404 not_found: ledger entry 9 does not exist"))
        #expect(try c.request("supplies.cash.spend amount=3000 purpose=药品").final.hasPrefix("200"))
        #expect(try c.request("supplies.donation.void 1 reason=x").final
            == "409 conflict: voiding donation 1 (¥2700.00) would take the balance of ¥200.00 below zero; record what was spent from it first")
        #expect(try c.request("supplies.donation.void 5 reason=x").final == "409 conflict: ledger entry 5 is a spend, not a donation")
        let ledger = try Self.rows(daemon, ["supplies.ledger"])
        #expect(ledger.count == 5, "the voided donation is still there")
        #expect(ledger[3]["kind"] as? String == "void" && ledger[3]["voids"] as? Int == 3 && ledger[3]["amount_fen"] as? Int == 5050)
        #expect(ledger.last?["balance_fen"] as? Int == 20_000 && ledger.last?["balance"] as? String == "200.00")
        let statement = try Self.object(daemon, ["supplies.ledger.public"])
        let donors = (statement["donations"] as? [[String: Any]])?.compactMap { $0["donor"] as? String }
        #expect(donors == ["省图书馆下沉干部", "爱心人士", "爱心人士"], "only the donor who consented is named")
        #expect((statement["donations"] as? [[String: Any]])?.last?["voided"] as? Bool == true)
        #expect(statement["received_fen"] as? Int == 320_000 && statement["received"] as? String == "3200.00")
        let text = try daemon.ctl(["supplies.ledger.public"]).out
        #expect(text.contains("已作废 voided (4): 重复录入") && text.contains("作废 Voided") && !text.contains("王建国"), "\(text)")
        #expect(try daemon.ctl(["supplies.ledger.public", "anonymise=yes"]).out.contains("省图书馆下沉干部") == false)
        // A viewer sees a donor's name only if the donor consented.
        let viewer = try AccessTests().asNobody(daemon, ["--json", "supplies.ledger"])
        #expect(viewer.out.contains("省图书馆下沉干部") && !viewer.out.contains("王建国"), "\(viewer.out)")
    }

    // MARK: No household forgotten

    /// A refusal leaves the worklist and the revisits but not the follow-up list (who and
    /// when), and the report counts it.
    @Test func aRefusedHouseholdIsOnTheFollowUpListAndCounted() throws {
        let daemon = try Self.community()
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("visits.campaign.start 敲门 deadline=\(Deadline.ahead) buildings=3").final.hasPrefix("200"))
        #expect(try c.request("visits.assign building=3 visitor=刘敏").final.hasPrefix("200"))
        #expect(try c.request("visits.record 3-1-101 outcome=refused note=不开门").final.hasPrefix("200"))
        #expect(try c.request("visits.record 3-1-102 outcome=answered people=2 needs=\"medicine:降压药x1盒\"").final.hasPrefix("200"))
        #expect(try c.request("visits.record 3-1-201 outcome=answered people=3").final.hasPrefix("200"))
        let worklist = try Self.rows(daemon, ["visits.worklist"]).compactMap { $0["household"] as? String }
        #expect(!worklist.contains("3-1-101") && !worklist.contains("3-1-102") && worklist.count == 5)
        let followups = try Self.rows(daemon, ["visits.followups"])
        #expect(followups.compactMap { $0["household"] as? String } == ["3-1-101", "3-1-102"])
        #expect(followups[0]["reason"] as? String == "refused" && followups[0]["visitor"] as? String == "刘敏")
        #expect(followups[0]["at"] is String && followups[0]["note"] as? String == "不开门")
        #expect(followups[1]["reason"] as? String == "open need" && (followups[1]["needs"] as? String)?.contains("降压药x1盒") == true)
        #expect(try c.request("visits.followups").final == "200 2 households to follow up (1 refused, 1 with open needs only)")
        let report = try Self.object(daemon, ["visits.report"])
        #expect(report["households_refused_today"] as? Int == 1 && report["followups"] as? Int == 2)
        #expect((report["campaigns"] as? [[String: Any]])?.first?["refused"] as? Int == 1)
        // A campaign's follow-ups are its households only; a closed campaign's refusal stays listed.
        #expect(try c.request("visits.campaign.start 四号楼 deadline=\(Deadline.ahead) buildings=4").final.hasPrefix("200"))
        #expect(try Self.rows(daemon, ["visits.followups", "campaign=四号楼"]).isEmpty)
        #expect(try c.request("visits.campaign.close 敲门").final.hasPrefix("200"))
        #expect(try Self.rows(daemon, ["visits.followups"]).count == 2)
    }

    /// Households imported after a campaign started join it (visits.campaign.joined), so
    /// coverage counts them and a visit there is recorded (it used to say 100 % and 409).
    @Test func householdsImportedAfterACampaignStartedJoinIt() throws {
        let daemon = try Self.community()
        defer { daemon.stop() }
        let c = try daemon.client()
        let watcher = try daemon.client()
        #expect(try watcher.request("subscribe visits.campaign.joined").final.hasPrefix("200"))
        #expect(try c.request("visits.campaign.start 全面 deadline=\(Deadline.ahead)").final.hasPrefix("200 campaign 全面 started: 16 households"))
        #expect(try c.request("visits.campaign.start 三号楼 deadline=\(Deadline.ahead) buildings=3 overlap=yes").final.hasPrefix("200"))
        for h in ["3-1-101", "3-1-102", "3-1-201", "3-1-202", "3-2-101", "3-2-102", "3-2-201", "3-2-202", "4-1-101", "4-1-102",
                  "4-1-201", "4-1-202", "4-2-101", "4-2-102", "4-2-201", "4-2-202"] {
            #expect(try c.request("visits.record \(h) outcome=answered people=1").final.hasPrefix("200"))
        }
        #expect(try Self.object(daemon, ["visits.coverage", "campaign=全面"])["percent"] as? Double == 100)
        daemon.dir.write("building5.csv", "楼栋,单元,房号,姓名\n5,1,101,孙娜\n5,1,102,周杰\n5,1,102,周涛\n3,1,301,郑丽\n")
        #expect(try daemon.ctl(["--data", daemon.dir.file("building5.csv"), "roster.import", "format=csv"]).status == 0)
        let joined = [try #require(try watcher.readLine(timeout: 5)), try #require(try watcher.readLine(timeout: 5))]
        #expect(joined.contains { $0.contains(#""campaign":"全面""#) && $0.contains(#""households":3"#) }, "\(joined)")
        #expect(joined.contains { $0.contains(#""campaign":"三号楼""#) && $0.contains(#""households":1"#) }, "\(joined)")
        let all = try Self.object(daemon, ["visits.coverage", "campaign=全面", "by=building"])
        #expect(all["households_total"] as? Int == 19 && all["percent"] as? Double == 84.2, "\(all)")
        #expect((all["by_building"] as? [[String: Any]])?.last?["building"] as? String == "5")
        #expect(try Self.object(daemon, ["visits.coverage", "campaign=三号楼"])["households_total"] as? Int == 9)
        #expect(try Self.rows(daemon, ["visits.worklist", "campaign=全面"]).compactMap { $0["household"] as? String }
            == ["3-1-301", "5-1-101", "5-1-102"], "in walking order")
        #expect(try c.request("visits.record 5-1-101 outcome=answered people=1").final.hasPrefix("200"))
        // A snapshot, then more, then kill -9: the joins and the visits counted for both campaigns
        // come back from the snapshot and the journal after it.
        #expect(try c.request("state.snapshot").final.hasPrefix("200"))
        #expect(try c.request("visits.record 3-1-301 outcome=answered people=1").final.hasPrefix("200"))
        daemon.signal(SIGKILL)
        _ = daemon.waitExit()
        let again = try DaemonProcess(config: "[daemon]\nstate_dir = \"\(daemon.dir.file("state"))\"\ntimezone = \"Asia/Shanghai\"\n")
        defer { again.stop() }
        let after = try Self.object(again, ["visits.coverage", "campaign=全面"])
        #expect(after["households_total"] as? Int == 19 && after["households_visited"] as? Int == 18, "\(after)")
        let third = try Self.object(again, ["visits.coverage", "campaign=三号楼"])
        #expect(third["households_total"] as? Int == 9 && third["households_visited"] as? Int == 9, "\(third)")
    }

    /// Overlapping campaigns are refused unless `overlap=yes`; then a visit counts for every
    /// open campaign covering the household, and the report has each campaign's figures.
    @Test func overlappingCampaignsAreRefusedUnlessAskedForAndAVisitCountsForEach() throws {
        let daemon = try Self.community()
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("visits.campaign.start 敲门 deadline=\(Deadline.ahead)").final.hasPrefix("200"))
        let overlap = try c.request("visits.campaign.start 核酸 deadline=\(Deadline.ahead) buildings=4").final
        #expect(overlap.hasPrefix("409 conflict: campaign 敲门 (open, deadline ") && overlap.contains("already covers 8 of these households (buildings 4)")
            && overlap.contains("overlap=yes"), "\(overlap)")
        #expect(try c.request("visits.campaign.start 核酸 deadline=\(Deadline.ahead) buildings=4 overlap=yes").final.hasPrefix("200"))
        let visit = try Self.object(daemon, ["visits.record", "4-1-101", "outcome=answered", "people=2"])
        #expect(visit["campaigns"] as? [String] == ["核酸", "敲门"])
        #expect(try Self.object(daemon, ["visits.coverage", "campaign=敲门"])["households_visited"] as? Int == 1)
        #expect(try Self.object(daemon, ["visits.coverage", "campaign=核酸"])["households_visited"] as? Int == 1)
        let report = try Self.object(daemon, ["visits.report"])
        let campaigns = try #require(report["campaigns"] as? [[String: Any]])
        #expect(campaigns.compactMap { $0["campaign"] as? String } == ["敲门", "核酸"])
        #expect(campaigns.map { $0["households_total"] as? Int } == [16, 8])
        let one = try Self.object(daemon, ["visits.report", "campaign=核酸"])
        #expect((one["campaigns"] as? [[String: Any]])?.count == 1)
        // Answered for one campaign before the other started: a no-answer now counts only where it undoes nothing.
        #expect(try c.request("visits.campaign.start 回访 deadline=\(Deadline.ahead) buildings=4 overlap=yes").final.hasPrefix("200"))
        let later = try Self.object(daemon, ["visits.record", "4-1-101", "outcome=no-answer"])
        #expect(later["campaigns"] as? [String] == ["回访"], "\(later)")
        #expect(try c.request("visits.close 回访").final.hasPrefix("4"), "no such command: visits.campaign.close is")
        #expect(try c.request("visits.campaign.close 回访").final.hasPrefix("200"))
        #expect(try c.request("visits.record 4-1-101 outcome=no-answer").final.hasPrefix("409 conflict: 4-1-101 was already visited in 核酸"))
    }

    /// An unknown visitor is a 404 with the known names, not an empty worklist.
    @Test func anUnknownVisitorIsNotFoundWithTheKnownNames() throws {
        let daemon = try Self.community()
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("visits.campaign.start 敲门 deadline=\(Deadline.ahead)").final.hasPrefix("200"))
        #expect(try c.request("visits.worklist visitor=nobody").final
            == "404 not_found: unknown visitor 'nobody'; nobody is assigned a building yet: visits.assign building=B visitor=NAME")
        #expect(try c.request("visits.assign building=3 visitor=刘敏").final.hasPrefix("200"))
        #expect(try c.request("visits.assign building=4 visitor=王芳").final.hasPrefix("200"))
        #expect(try c.request("visits.worklist visitor=刘明").final
            == "404 not_found: unknown visitor '刘明' (did you mean '刘敏'?); known visitors: 刘敏, 王芳")
        let r = try daemon.ctl(["visits.worklist", "visitor=nobody"])
        #expect(r.status == 1, "doorstepctl exits 1 on a 4xx")
        #expect(try c.request("visits.worklist visitor=刘敏").final.hasPrefix("200 8 households to visit"))
    }

    /// `at=` in the future is refused on every command that records what happened; `at=now`
    /// works on each.
    @Test func timesInTheFutureAreRefusedAndNowWorks() throws {
        let daemon = try Self.community()
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("visits.campaign.start 敲门 deadline=\(Deadline.ahead)").final.hasPrefix("200"))
        let future = try c.request("visits.record 3-1-101 outcome=answered people=1 at=2062-01-10T19:00+08:00").final
        #expect(future.hasPrefix("422 invalid_argument: argument 'at': 2062-01-10 19:00 +08:00 is in the future (now "), "\(future)")
        #expect(future.hasSuffix("entries are dated when they happened (at=now for now)"))
        #expect(try c.request("visits.test.record 3-1-101 at=2062-01-10").final.hasPrefix("422 invalid_argument: argument 'at'"))
        #expect(try c.request("visits.campaign.start 补 deadline=2063-01-01 started=2062-01-01 overlap=yes").final
            .hasPrefix("422 invalid_argument: argument 'started'"))
        #expect(try c.request("visits.record 3-1-101 outcome=answered people=1 at=now").final.hasPrefix("200"))
        #expect(try c.request("visits.test.record 3-1-101 at=now site=社区广场").final.hasPrefix("200"))
        let household = try Self.object(daemon, ["roster.household", "3-1-101"])
        let latest = (household["activity"] as? [String: Any])?["latest_visit"] as? [String: Any]
        let when = try #require(latest?["at"] as? String)
        #expect(when.hasSuffix("+08:00"), "shown in the community's zone: \(when)")
        let f = ISO8601DateFormatter()
        let date = try #require(f.date(from: when))
        #expect(abs(date.timeIntervalSinceNow) < 60, "at=now is the daemon's clock: \(when)")
        // A little skew between clocks is accepted.
        let soon = ISO8601DateFormatter.string(from: Date().addingTimeInterval(120), timeZone: TimeZone(identifier: "Asia/Shanghai")!,
                                               formatOptions: [.withInternetDateTime])
        #expect(try c.request("visits.record 3-1-102 outcome=answered people=1 at=\(soon)").final.hasPrefix("200"), "\(soon)")
    }
}
