import Foundation
import Testing

/// The scripted day of the district test: each community's roster, visits, tests, needs,
/// deliveries and cash, varied by the community's number, with personal texts that are unique
/// (so a search of the database for them means something).
enum DistrictScript {
    /// An instant `seconds` from now, as the protocol reads it (UTC, `Z`).
    static func at(_ seconds: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return f.string(from: Date().addingTimeInterval(seconds))
    }

    static let hour = 3600.0

    /// Household j (0…11): buildings 1–2, units 1–2, rooms 101, 102, 201.
    static func household(_ j: Int) -> String { "\(1 + j / 6)-\(1 + (j / 3) % 2)-\([101, 102, 201][j % 3])" }

    /// Residents of household j of community i: 0 (vacant) to 3.
    static func residents(_ i: Int, _ j: Int) -> Int { (i + j) % 4 }

    static func residentName(_ i: Int, _ j: Int, _ k: Int) -> String { "居民C\(i)H\(j)R\(k)" }
    static func phone(_ i: Int, _ j: Int, _ k: Int) -> String { String(format: "139%04d%02d%02d", i, j, k) }

    /// The register (CSV with Chinese headers), and the personal texts in it.
    static func register(_ i: Int) -> (csv: String, secrets: [String]) {
        var csv = "楼栋,单元,房号,姓名,电话,备注\n", secrets: [String] = []
        for j in 0..<12 {
            let parts = household(j).split(separator: "-")
            if residents(i, j) == 0 { csv += "\(parts[0]),\(parts[1]),\(parts[2]),,,\n" }
            for k in 0..<residents(i, j) {
                let note = "备注C\(i)H\(j)R\(k)"
                csv += "\(parts[0]),\(parts[1]),\(parts[2]),\(residentName(i, j, k)),\(phone(i, j, k)),\(note)\n"
                secrets += [residentName(i, j, k), phone(i, j, k), note]
            }
        }
        return (csv, secrets)
    }

    /// Setup and the morning: the register, campaigns, visits (some typed in late, from the
    /// day before and three days ago), needs, tests.
    static func morning(_ i: Int) -> (requests: [String], secrets: [String]) {
        let (csv, registerSecrets) = register(i)
        var secrets = registerSecrets
        var r = ["roster.import format=csv <<END\n" + csv + "END",
                 "visits.campaign.start 第一轮 deadline=\(at(72 * hour)) started=\(at(-96 * hour))"]
        if i % 10 == 0 {
            // A second campaign over building 2: visits there count for both ("also").
            r.append("visits.campaign.start 复查 buildings=2 deadline=\(at(48 * hour)) started=\(at(-26 * hour)) overlap=yes")
        }
        for j in 0..<12 where (i * 7 + j) % 5 != 4 {
            let h = household(j), people = max(residents(i, j), 1)
            switch (i + j) % 6 {
            case 0:
                var needs = ""
                if j % 3 == 0 { needs = " needs=medicine:降压药C\(i)x2盒" }
                if j % 3 == 1 { needs = " needs=food:大米C\(i)x1袋" }
                r.append("visits.record \(h) outcome=answered people=\(people)\(needs) visitor=志愿者C\(i)")
            case 1: r.append("visits.record \(h) outcome=no-answer at=\(at(-3 * hour))")
            case 2:
                let note = "走访备注C\(i)H\(j)"
                secrets.append(note)
                r.append("visits.record \(h) outcome=refused note=\(note)")
            case 3: r.append("visits.record \(h) outcome=vacant at=\(at(-2 * hour))")
            case 4: r.append("visits.record \(h) outcome=answered people=\(people) needs=heating at=\(at(-30 * hour))")
            default: r.append("visits.record \(h) outcome=answered people=1 needs=escort at=\(at(-80 * hour))")
            }
        }
        for j in 0..<12 where residents(i, j) > 0 {
            let h = household(j)
            if j % 2 == 0 {
                r.append("visits.test.record \(h) at=\(at(-100 * hour))")
                r.append("visits.test.record \(h) at=\(at(-2 * hour)) site=核酸点C\(i)")
                secrets.append("核酸点C\(i)")
            }
            if j % 4 == 1 { r.append("visits.test.record \(h)/\(residentName(i, j, 0)) at=\(at(-1 * hour))") }
            if j % 4 == 3 { r.append("visits.test.record \(h) at=\(at(-90 * hour))") }
        }
        secrets += ["降压药C\(i)", "大米C\(i)", "志愿者C\(i)"]
        return (r, secrets)
    }

    /// Stock, cash and a request typed in by hand, before the deliveries.
    static func stock(_ i: Int) -> (requests: [String], secrets: [String]) {
        (["supplies.stock.receive 降压药C\(i) qty=100 unit=盒 source=donation category=medicine from=药店C\(i)",
          "supplies.stock.receive 大米C\(i) qty=100 unit=袋 source=purchase category=food",
          "supplies.stock.receive 取暖物资 qty=50 unit=件 source=government category=heating",
          "supplies.donation.add donor=捐赠人C\(i) amount=\(100 + i) consent=yes purpose=用途C\(i)",
          "supplies.donation.add donor=匿名C\(i) amount=5.50",
          "supplies.cash.spend amount=10 purpose=采购C\(i)",
          "supplies.donation.void 2 reason=作废C\(i)",
          "supplies.request.add 1-1-101 items=大米C\(i):2袋 note=私密备注C\(i)"],
         ["药店C\(i)", "捐赠人C\(i)", "匿名C\(i)", "用途C\(i)", "采购C\(i)", "作废C\(i)", "私密备注C\(i)"])
    }

    /// The afternoon's deliveries (requests by id: delivered through dispatch, delivered
    /// straight from assigned, cancelled, left open), a need closed by hand, revisits.
    static func afternoon(_ i: Int, requests: [Int], escortNeed: Int?, noAnswer: [String]) -> (requests: [String], secrets: [String]) {
        var r: [String] = []
        for (k, id) in requests.enumerated() {
            switch k % 4 {
            case 0: r += ["supplies.request.assign \(id) to=志愿者C\(i)", "supplies.request.dispatch \(id)", "supplies.request.deliver \(id)"]
            case 1: r += ["supplies.request.assign \(id) to=志愿者C\(i)", "supplies.request.deliver \(id) note=送达备注C\(i)"]
            case 2: r.append("supplies.request.cancel \(id) reason=取消原因C\(i)")
            default: break
            }
        }
        if let escortNeed { r.append("visits.need.resolve \(escortNeed) note=已陪同C\(i)") }
        for h in noAnswer { r.append("visits.record \(h) outcome=answered people=2") }
        return (r, ["送达备注C\(i)", "取消原因C\(i)", "已陪同C\(i)"])
    }

    /// The evening, after some daemons restarted: households skipped in the morning, tests,
    /// another donation.
    static func evening(_ i: Int) -> (requests: [String], secrets: [String]) {
        var r = ["supplies.donation.add donor=晚间C\(i) amount=3"]
        for j in 0..<12 where (i * 7 + j) % 5 == 4 {
            r.append("visits.record \(household(j)) outcome=answered people=\(max(residents(i, j), 1))"
                + (j % 2 == 0 ? " needs=food:大米C\(i)x3袋" : ""))
            if residents(i, j) > 0 { r.append("visits.test.record \(household(j)) at=\(at(-10))") }
        }
        return (r, ["晚间C\(i)"])
    }
}
