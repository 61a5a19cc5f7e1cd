import ArgumentParser
import Foundation

/// Test data for the roster workloads: a district-sized CSV with Chinese names, and the
/// household ids it contains.
struct RosterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roster",
        abstract: "Write a roster CSV (Chinese headers and names) and a file of its household ids.")

    @Option(help: "Households (100 per building: 4 units × 25 rooms).") var households = 100_000
    @Option(help: "Residents per household, on average (1 to 5 vary around it).") var perHousehold = 3
    @Option(help: "Where to write the CSV.") var csv: String
    @Option(help: "Where to write the household ids, one per line.") var keys: String

    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何",
                           "郭", "马", "罗", "欧阳", "司马", "诸葛"]
    static let given = ["芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
                        "秀英", "霞", "平", "建国", "桂兰", "志强", "淑珍"]

    func run() throws {
        var out = "楼栋,单元,房号,姓名,电话,出生年份,性别,标签,备注\n"
        var ids = ""
        out.reserveCapacity(households * perHousehold * 48)
        var residents = 0
        for h in 0..<households {
            let building = h / 100 + 1, unit = h % 100 / 25 + 1, r = h % 25
            let room = (r / 2 + 1) * 100 + r % 2 + 1
            ids += "\(building)-\(unit)-\(room)\n"
            // Sizes 1…5 in a pattern whose mean is perHousehold when that is 3.
            let size = perHousehold == 3 ? [3, 1, 5, 2, 4][h % 5] : perHousehold
            for p in 0..<size {
                residents += 1
                let name = Self.surnames[(h + p * 7) % Self.surnames.count] + Self.given[(h * 3 + p) % Self.given.count]
                let phone = residents % 3 == 0 ? "" : "1\(3 + residents % 7)\(String(format: "%09d", residents * 7919 % 1_000_000_000))"
                let year = 1930 + residents % 90
                let tags = residents % 97 == 0 ? "elderly-alone;needs-medicine" : (residents % 41 == 0 ? "migrant-tenant" : "")
                let note = residents % 50 == 0 ? "\"需要送药, 每周一次\"" : ""
                out += "\(building),\(unit),\(room),\(name),\(phone),\(year),\(residents % 2 == 0 ? "女" : "男"),\(tags),\(note)\n"
            }
        }
        try out.write(toFile: csv, atomically: false, encoding: .utf8)
        try ids.write(toFile: keys, atomically: false, encoding: .utf8)
        print("households=\(households) residents=\(residents) csv_bytes=\(out.utf8.count)")
    }
}
