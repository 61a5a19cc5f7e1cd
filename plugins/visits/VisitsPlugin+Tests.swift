import Foundation
public import PluginAPI
import PluginSupport
import RosterInterface

/// 应检尽检: everyone who should be tested is tested.
extension VisitsPlugin {
    static let escortTags: Set<String> = ["elderly-alone", "disabled"]
    /// Without `since`, "not tested" means not in the last three days.
    static let defaultWindow: Int64 = 72 * 3600

    func testsImport(body: String) async throws -> Reply {
        let roster = try self.roster
        let rows: [CSV.Row]
        do {
            rows = try CSV.parse(body)
        } catch {
            throw ControlError.invalidArgument("body line \(error.line): \(error.message)")
        }
        guard let header = rows.first else { throw ControlError.invalidArgument("the body is empty: expected a header line name[,household]") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let nameColumn = columns.firstIndex(where: { $0 == "name" || $0 == "姓名" }) else {
            throw ControlError.invalidArgument("body line \(header.line): missing column 'name' (姓名)")
        }
        let householdColumn = columns.firstIndex { $0 == "household" || $0 == "户号" || $0 == "住址" }
        // One look-up for the whole list: a district's list has tens of thousands of rows.
        let index = await roster.residentIndex()
        var matched: [String] = [], unknown: [JSON] = [], ambiguous: [JSON] = []
        for row in rows.dropFirst() {
            let line = row.line
            let fields = row.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            let name = nameColumn < fields.count ? fields[nameColumn] : ""
            guard !name.isEmpty else {
                unknown.append(["line": .number(line), "name": "", "reason": "no name"])
                continue
            }
            if let hc = householdColumn, hc < fields.count, !fields[hc].isEmpty {
                let household = fields[hc]
                guard index[name]?.contains(household) == true else {
                    let known = await roster.household(household) != nil
                    unknown.append(["line": .number(line), "name": .string(name), "reason": .string(known
                        ? "\(name) does not live in \(household)" : "household \(household) is not in the roster")])
                    continue
                }
                matched.append(household + "/" + name)
                continue
            }
            let candidates = index[name] ?? []
            switch candidates.count {
            case 0: unknown.append(["line": .number(line), "name": .string(name), "reason": .string("nobody named \(name) in the roster")])
            case 1: matched.append(candidates[0] + "/" + name)
            default:
                ambiguous.append(["line": .number(line), "name": .string(name), "households": .array(candidates.map(JSON.string))])
            }
        }
        if !matched.isEmpty { try await record(Flagged(residents: matched, at: now())) }
        var text = ["matched: \(matched.count)", "unknown: \(unknown.count)", "ambiguous: \(ambiguous.count)"]
        text += unknown.map { "unknown line \($0["line"]!.plainText): \($0["reason"]!.plainText)" }
        text += ambiguous.map { "ambiguous line \($0["line"]!.plainText): \($0["name"]!.plainText) lives in \($0["households"]!.plainText)" }
        return Reply(data: ["matched": .number(matched.count), "residents": .array(matched.map(JSON.string)),
                            "unknown": .array(unknown), "ambiguous": .array(ambiguous)], lines: text,
                     message: "\(matched.count) matched, \(unknown.count) unknown, \(ambiguous.count) ambiguous")
    }

    func testRecord(_ target: String, at: Int64, site: String?) async throws -> Reply {
        let roster = try self.roster
        var household: String, names: [String]
        if let slash = target.firstIndex(of: "/") {
            household = String(target[..<slash])
            names = [String(target[target.index(after: slash)...])]
            guard let h = await roster.household(household) else { throw ControlError.notFound("household \(household) does not exist").zh("户 \(household) 不存在") }
            guard h.residents.contains(where: { $0.name == names[0] }) else {
                throw ControlError.notFound("\(names[0]) does not live in \(household)")
            }
        } else if let h = await roster.household(target) {
            household = h.id
            names = h.residents.map(\.name)
            guard !names.isEmpty else { throw ControlError.conflict("household \(target) has no residents") }
        } else {
            let found = await roster.households(withResident: target)
            guard found.count == 1 else {
                throw found.isEmpty ? ControlError.notFound("no household or resident named \(target)")
                    : ControlError.conflict("\(target) lives in \(found.count) households (\(found.joined(separator: ", "))); write HOUSEHOLD/NAME")
            }
            household = found[0]
            names = [target]
        }
        let seq = try await record(Tested(household: household, names: names, at: at, site: site),
                                   announcing: [Self.testedEvent(household, slots: state.slots(household, names), at: at)])
        return Reply(data: ["household": .string(household), "residents": .array(names.map(JSON.string)), "seq": .number(seq)], lines: [],
                     message: "tested \(names.count) in \(household) at \(ValueParser.display(at))")
    }

    /// `since=`, or three days ago.
    func since(_ given: Int64?) -> Int64 { given ?? (now() - Self.defaultWindow) }

    func untested(building: String?, since given: Int64?) async throws -> Reply {
        let since = self.since(given)
        let households = try await roster.households(buildings: building.map { [$0] })
        var rows: [JSON] = []
        var residents = 0
        for h in households {
            let missing = h.residents.filter { (state.tests[h.id + "/" + $0.name] ?? .min) < since }
            guard !missing.isEmpty else { continue }
            residents += missing.count
            let escort = missing.filter { !Self.escortTags.isDisjoint(with: $0.tags) }.map(\.name)
            rows.append(["household": .string(h.id), "untested": .array(missing.map { .string($0.name) }),
                         "flagged": .number(missing.filter { state.flagged[h.id + "/" + $0.name] != nil }.count),
                         "escort": .array(escort.map(JSON.string))])
        }
        return Reply(data: .array(rows),
                     message: "\(rows.count) households, \(residents) residents not tested since \(ValueParser.display(since))")
    }

    func testsCoverage(since given: Int64?) async throws -> Reply {
        let since = self.since(given)
        let households = try await roster.households(buildings: nil)
        var byBuilding: [String: (residents: Int, tested: Int)] = [:]
        for h in households {
            for r in h.residents {
                byBuilding[h.building, default: (0, 0)].residents += 1
                if (state.tests[h.id + "/" + r.name] ?? .min) >= since { byBuilding[h.building, default: (0, 0)].tested += 1 }
            }
        }
        func percent(_ t: Int, _ r: Int) -> Double { r == 0 ? 100 : (Double(t) * 1000 / Double(r)).rounded() / 10 }
        let rows = byBuilding.keys.sorted(by: WalkingOrder.buildingPrecedes).map { b -> JSON in
            let f = byBuilding[b]!
            return ["building": .string(b), "residents": .number(f.residents), "tested": .number(f.tested),
                    "percent": .double(percent(f.tested, f.residents))]
        }
        let total = byBuilding.values.reduce(0) { $0 + $1.residents }, tested = byBuilding.values.reduce(0) { $0 + $1.tested }
        return Reply(data: ["since": .string(ValueParser.iso8601(since)), "residents": .number(total), "tested": .number(tested),
                            "percent": .double(percent(tested, total)), "by_building": .array(rows)],
                     message: "\(tested) of \(total) residents tested since \(ValueParser.display(since))")
    }

    public nonisolated func activity(household: String, full: Bool) -> JSON? {
        shared.read { state in activity(household: household, full: full, in: state) }
    }

    private nonisolated func activity(household: String, full: Bool, in state: VisitsState) -> JSON? {
        let latest = state.lastVisit[household].map { state.visits[$0] }
        let open = (state.openNeeds[household] ?? []).sorted().compactMap { state.needs[$0] }
        let tests = (state.testedNames[household] ?? []).sorted().compactMap { name in
            // Keyed by name for operators; for viewers by the resident's number (`#2`): a key
            // is not masked by the host's field policy, so a name must not be one.
            state.tests[household + "/" + name].map { time in
                (full ? name : "#" + String(state.residentSlots[household + "/" + name] ?? 0), JSON.string(ValueParser.iso8601(time)))
            }
        }
        guard latest != nil || !open.isEmpty || !tests.isEmpty else { return nil }
        return [
            "latest_visit": latest.map { v -> JSON in
                ["campaign": .string(v.campaign), "outcome": .string(v.outcome.rawValue), "at": .string(ValueParser.iso8601(v.at)),
                 "people": v.people.map { .number($0) } ?? .null, "visitor": .optional(v.visitor),
                 "note": .optional(v.note.map { full ? $0 : "***" })]
            } ?? .null,
            "open_needs": .array(open.map { needJSON($0, full: full) }),
            "tests": .object(tests),
        ]
    }
}
