import Foundation
import PluginAPI
import PluginSupport
import RosterInterface

extension VisitsPlugin {
    func startCampaign(_ request: Request) async throws -> Reply {
        let name = try request[VisitsArgs.campaignName], deadline = try request[VisitsArgs.deadline]
        if let existing = state.campaigns[name] {
            throw ControlError.conflict("campaign \(name) already exists (\(existing.closedAt == nil ? "open" : "closed")); choose another name")
        }
        let buildings = try request[VisitsArgs.buildings].map {
            $0.split(whereSeparator: { $0 == "," || $0 == "，" }).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let households = try await roster.households(buildings: buildings)
        if let buildings {
            let known = Set(households.map(\.building))
            let unknown = buildings.filter { !known.contains($0) }
            guard unknown.isEmpty else {
                throw ControlError.notFound("buildings \(unknown.joined(separator: ", ")) have no households in the roster")
            }
        }
        // Paper forms are typed in at night: a back-dated campaign may have a deadline that passed.
        let started = try request[VisitsArgs.started]
        guard deadline > started ?? now() else {
            let given = request.text(VisitsArgs.deadline) ?? ValueParser.display(deadline)
            throw ControlError.invalidArgument(started == nil
                ? "argument 'deadline': \(given) has already passed (a campaign typed in afterwards gives started=TIME)"
                : "argument 'deadline': \(given) is not after started=\(ValueParser.display(started!))")
        }
        guard !households.isEmpty else {
            throw ControlError.notFound("no households in " + (buildings.map { "buildings \($0.joined(separator: ", "))" } ?? "the roster")
                + "; import the roster first (roster.import)")
        }
        // Two open campaigns on the same doors split the counting: refused unless asked for.
        let ids = Set(households.map(\.id))
        if try request[VisitsArgs.overlap] != true {
            for other in state.openCampaigns {
                let shared = other.households.filter { ids.contains($0) }
                guard !shared.isEmpty else { continue }
                let sharedBuildings = Set(shared.compactMap { other.buildingOf[$0] }).sorted(by: WalkingOrder.buildingPrecedes)
                throw ControlError.conflict("campaign \(other.name) (open, deadline \(ValueParser.display(other.deadline))) already covers "
                    + "\(shared.count) of these households (buildings \(sharedBuildings.joined(separator: ", "))); close it first "
                    + "(visits.campaign.close \(other.name)), or give overlap=yes to run both (a visit then counts for both)")
            }
        }
        let c = Campaign(name: name, deadline: deadline, buildings: buildings, households: households.map(\.id),
                         buildingOf: Dictionary(uniqueKeysWithValues: households.map { ($0.id, $0.building) }),
                         startedAt: started ?? now(), closedAt: nil)
        let seq = try await record(CampaignStarted(campaign: c), announcing: [Self.campaignStarted(c)])
        return Reply(data: ["campaign": .string(name), "households": .number(c.households.count), "seq": .number(seq)], lines: [],
                     message: "campaign \(name) started: \(c.households.count) households, deadline \(ValueParser.display(deadline))").zh("排查 \(name) 已开始：\(c.households.count) 户，截止 \(ValueParser.display(deadline))")
    }

    func progress(_ c: Campaign) -> (visited: Int, people: Int) {
        var visited = 0, people = 0
        for h in c.households {
            guard let v = state.latestVisit(c.name, h) else { continue }
            if v.outcome.visited { visited += 1 }
            if v.outcome == .answered { people += v.people ?? 0 }
        }
        return (visited, people)
    }

    func campaignList() -> Reply {
        let rows = state.campaignOrder.compactMap { state.campaigns[$0] }.map { c -> JSON in
            let p = progress(c)
            return ["campaign": .string(c.name), "households": .number(c.households.count), "visited": .number(p.visited),
                    "deadline": .string(ValueParser.iso8601(c.deadline)), "open": .bool(c.closedAt == nil)]
        }
        return Reply(data: .array(rows), message: "\(rows.count) campaigns").zh("\(rows.count) 轮排查")
    }

    func closeCampaign(_ name: String) async throws -> Reply {
        let c = try campaign(name)
        guard c.closedAt == nil else { throw ControlError.conflict("campaign \(name) is already closed") }
        let at = now()
        let seq = try await record(CampaignClosed(name: name, at: at),
                                   announcing: [Announcement("visits.campaign.closed", ["campaign": .string(name), "at": .string(ValueParser.iso8601(at))])])
        return Reply(data: ["campaign": .string(name), "seq": .number(seq)], lines: [], message: "campaign \(name) closed").zh("排查 \(name) 已结束")
    }

    func assign(building: String, visitor: String) async throws -> Reply {
        guard await !(try roster.households(buildings: [building])).isEmpty else {
            throw ControlError.notFound("building \(building) has no households in the roster").zh("楼栋 \(building) 在花名册中没有住户")
        }
        let seq = try await record(Assigned(building: building, visitor: visitor))
        return Reply(data: ["building": .string(building), "visitor": .string(visitor), "seq": .number(seq)], lines: [],
                     message: "building \(building) assigned to \(visitor)").zh("楼栋 \(building) 已分派给 \(visitor)")
    }

    func worklist(campaign name: String?, visitor: String?, building: String?) throws -> Reply {
        let c = try campaign(name)
        // A name nobody knows is a typo, not an empty worklist: visitors are those assigned a
        // building or who recorded a visit.
        if let visitor, !state.assignments.values.contains(visitor) {
            guard state.visits.contains(where: { $0.visitor == visitor }) else {
                let known = Set(state.assignments.values).union(state.visits.compactMap(\.visitor)).sorted()
                var message = "unknown visitor '\(ValueParser.shown(visitor))'"
                if let best = Suggest.closest(to: [visitor], among: known) { message += " (did you mean '\(best)'?)" }
                message += known.isEmpty ? "; nobody is assigned a building yet: visits.assign building=B visitor=NAME"
                    : "; known visitors: \(known.joined(separator: ", "))"
                throw ControlError.notFound(message)
            }
            return Reply(data: .array([]), message: "0 households to visit: \(visitor) has no building assigned in \(c.name) "
                + "(visits.assign building=B visitor=\(visitor))")
        }
        if let building, !c.buildingOf.values.contains(building) {
            throw ControlError.notFound("campaign \(c.name) has no households in building \(ValueParser.shown(building))")
        }
        let attempts = state.attempts[c.name] ?? [:]
        var revisit: [JSON] = [], fresh: [JSON] = []
        for h in c.households {
            let b = c.buildingOf[h] ?? ""
            if let building, b != building { continue }
            if let visitor, state.assignments[b] != visitor { continue }
            let latest = state.latestVisit(c.name, h)
            // Visited households are done; a household that refused is not knocked again.
            if latest?.outcome.visited == true || latest?.outcome == .refused { continue }
            let parts = h.split(separator: "-").map(String.init)
            let room = parts.count == 3 ? parts[2] : ""
            let row: JSON = ["household": .string(h), "building": .string(b), "unit": .string(parts.count == 3 ? parts[1] : ""),
                             "floor": .number((Int(room.filter(\.isNumber)) ?? 0) / 100), "room": .string(room),
                             "visitor": .optional(state.assignments[b]),
                             "attempts": .number(attempts[h] ?? 0), "last": .optional(latest?.outcome.rawValue)]
            if (attempts[h] ?? 0) > 0 || latest != nil { revisit.append(row) } else { fresh.append(row) }
        }
        let rows = revisit + fresh
        return Reply(data: .array(rows), message: "\(rows.count) households to visit (\(revisit.count) revisits first) in \(c.name)").zh("待走访 \(rows.count) 户（其中复访 \(revisit.count) 户优先），排查 \(c.name)")
    }

    func recordVisit(_ request: Request) async throws -> Reply {
        let household = try request[VisitsArgs.household]
        let open = state.openCampaigns(for: household)
        guard !open.isEmpty else {
            if await (try roster.household(household)) == nil {
                throw ControlError.notFound("household \(household) does not exist").zh("户 \(household) 不存在")
            }
            throw ControlError.conflict("no open campaign covers household \(household); start one with visits.campaign.start")
        }
        let outcome = try request[VisitsArgs.outcome], people = try request[VisitsArgs.people]
        let needs = try NeedGrammar.parse(try request[VisitsArgs.needs])
        // A visit counts for every open campaign covering the household, except one where it
        // would undo a visit already made (a no-answer for a campaign after an answer in another).
        let covering = open.filter { state.latestVisit($0.name, household)?.outcome.visited != true || outcome.visited }
        guard let c = covering.first else {
            let done = state.latestVisit(open[0].name, household)!
            throw ControlError.conflict("\(household) was already visited in \(open[0].name) (\(done.outcome.rawValue) at "
                + "\(ValueParser.display(done.at))); a \(outcome.rawValue) now would undo it")
        }
        if outcome != .answered, people != nil || !needs.isEmpty {
            throw ControlError.invalidArgument("people and needs need outcome=answered (got \(outcome.rawValue))")
        }
        let visit = Visit(campaign: c.name, also: covering.count > 1 ? covering.dropFirst().map(\.name) : nil,
                          household: household, outcome: outcome, people: people,
                          note: try request[VisitsArgs.note],
                          visitor: try request[VisitsArgs.knocker] ?? state.assignments[c.buildingOf[household] ?? ""],
                          at: try request[VisitsArgs.visitedAt] ?? now())
        let firstNeed = state.nextNeed
        // Announced with the visit's own record: a need exists exactly when its event does, so
        // supplies gets every one (after a crash too). Events reach viewers: the free text
        // (it may name people or drugs) stays out.
        let announced = [Self.recordedEvent(visit, building: c.buildingOf[household])] + needs.enumerated().map { i, need in
            Announcement("visits.need.opened", ["id": .number(firstNeed + i), "household": .string(household),
                                                 "category": .string(need.category.rawValue), "at": .string(ValueParser.iso8601(visit.at))])
        }
        let seq = try await record(Recorded(visit: visit, needs: needs), announcing: announced)
        let opened: [JSON] = needs.indices.compactMap { state.needs[firstNeed + $0].map { needJSON($0, full: true) } }
        let attempts = state.attempts[c.name]?[household] ?? 0
        return Reply(data: ["household": .string(household), "campaign": .string(c.name),
                            "campaigns": .array(covering.map { .string($0.name) }), "outcome": .string(outcome.rawValue),
                            "attempts": .number(attempts), "needs": .array(opened), "seq": .number(seq)], lines: [],
                     message: "recorded \(outcome.rawValue) at \(household)" + (opened.isEmpty ? "" : "; \(opened.count) needs opened")
                        + (outcome == .noAnswer ? "; revisit (attempt \(attempts))" : ""))
            .zh("已登记 \(household)：\(outcome.zh)" + (opened.isEmpty ? "" : "；新开需求 \(opened.count) 项")
                + (outcome == .noAnswer ? "；需复访（第 \(attempts) 次）" : ""))
    }

    func revisits(campaign name: String?) throws -> Reply {
        let c = try campaign(name)
        let rows = c.households.compactMap { h -> JSON? in
            guard let n = state.attempts[c.name]?[h], n > 0 else { return nil }
            return ["household": .string(h), "attempts": .number(n),
                    "last_at": .string(ValueParser.iso8601(state.latestVisit(c.name, h)?.at ?? 0)),
                    "visitor": .optional(state.assignments[c.buildingOf[h] ?? ""])]
        }
        return Reply(data: .array(rows), message: "\(rows.count) households to knock again").zh("\(rows.count) 户需要再次敲门")
    }

    nonisolated func needJSON(_ n: Need, full: Bool) -> JSON {
        ["id": .number(n.id), "household": .string(n.household), "category": .string(n.category.rawValue),
         "text": .optional(n.text.map { full ? $0 : "***" }), "item": .optional(n.item.map { full ? $0 : "***" }),
         "quantity": n.quantity.map { .number($0) } ?? .null, "unit": .optional(n.unit),
         "opened": .string(ValueParser.iso8601(n.openedAt)), "status": .string(n.resolvedAt == nil ? "open" : "resolved"),
         "resolved": n.resolvedAt.map { .string(ValueParser.iso8601($0)) } ?? .null, "by": .optional(n.resolvedBy),
         "reopened": n.reopenedAt.map { .string(ValueParser.iso8601($0)) } ?? .null,
         "reopen_note": .optional(n.reopenNote.map { full ? $0 : "***" })]
    }

    func needs(status: String, household: String?, full: Bool) -> Reply {
        let rows = state.needs.values.sorted { $0.id < $1.id }.filter { n in
            (household == nil || n.household == household)
                && (status == "all" || (status == "open") == (n.resolvedAt == nil))
        }.map { needJSON($0, full: full) }
        return Reply(data: .array(rows), message: "\(rows.count) \(status == "all" ? "" : status + " ")needs")
    }

    func resolveNeed(_ id: Int, by: String?, note: String?) async throws -> Reply {
        guard let need = state.needs[id] else { throw ControlError.notFound("need \(id) does not exist").zh("需求 \(id) 不存在") }
        guard need.resolvedAt == nil else { throw ControlError.conflict("need \(id) is already resolved") }
        let at = now()
        let seq = try await record(NeedResolved(id: id, by: by, note: note, at: at),
                                   announcing: [Self.resolvedEvent(need, by: nil, at: at)])
        return Reply(data: ["id": .number(id), "seq": .number(seq)], lines: [], message: "need \(id) resolved").zh("需求 \(id) 已解决")
    }

    func coverage(campaign name: String?, by: String?) throws -> Reply {
        let c = try campaign(name)
        func figures(_ households: [String]) -> [(String, JSON)] {
            var visited = 0, people = 0, revisit = 0
            for h in households {
                let v = state.latestVisit(c.name, h)
                if v?.outcome.visited == true { visited += 1 }
                if v?.outcome == .answered { people += v?.people ?? 0 }
                if (state.attempts[c.name]?[h] ?? 0) > 0 { revisit += 1 }
            }
            let total = households.count
            let percent = total == 0 ? 0 : (Double(visited) * 1000 / Double(total)).rounded() / 10
            return [("households_total", .number(total)), ("households_visited", .number(visited)),
                    ("households_not_reached", .number(total - visited)), ("revisits", .number(revisit)),
                    ("residents_counted", .number(people)), ("percent", .double(percent))]
        }
        var data = [("campaign", JSON.string(c.name))] + figures(c.households)
        let now = c.closedAt ?? now()
        let span = max(1, c.deadline - c.startedAt)
        let elapsed = min(max(0, now - c.startedAt), span)
        let expected = Int((Double(c.households.count) * Double(elapsed) / Double(span)).rounded(.up))
        let visited = data.first { $0.0 == "households_visited" }.map { if case .int(let v) = $0.1 { Int(v) } else { 0 } } ?? 0
        data += [("deadline", .string(ValueParser.iso8601(c.deadline))), ("expected_by_now", .number(expected)),
                 ("on_track", .bool(visited >= expected || visited == c.households.count))]
        if let by {
            var groups: [String: [String]] = [:]
            for h in c.households {
                let b = c.buildingOf[h] ?? ""
                groups[by == "building" ? b : (state.assignments[b] ?? "(unassigned)"), default: []].append(h)
            }
            let rows = groups.keys.sorted { by == "building" ? WalkingOrder.buildingPrecedes($0, $1) : $0 < $1 }.map { key in
                JSON.object([(by, .string(key))] + figures(groups[key]!))
            }
            data.append(("by_\(by)", .array(rows)))
        }
        return Reply(data: .object(data), message: "coverage of \(c.name)").zh("\(c.name) 的覆盖情况")
    }

    /// The figures of one campaign for the report: visited, counted, revisits and refusals.
    func campaignFigures(_ c: Campaign) -> JSON {
        let p = progress(c)
        let refused = c.households.filter { state.latestVisit(c.name, $0)?.outcome == .refused }.count
        return ["campaign": .string(c.name), "open": .bool(c.closedAt == nil), "deadline": .string(ValueParser.iso8601(c.deadline)),
                "households_visited_total": .number(p.visited), "households_total": .number(c.households.count),
                "people_counted_total": .number(p.people),
                "revisits_outstanding": .number(state.attempts[c.name]?.values.filter { $0 > 0 }.count ?? 0),
                "refused": .number(refused)]
    }

    func report(date: String?, campaign name: String? = nil) async throws -> Reply {
        let (dayStart, dayEnd) = try ValueParser.localDay(date, now: now())
        let today = state.visits.filter { $0.at >= dayStart && $0.at < dayEnd }
        var households = Set<String>(), people = 0
        var latestToday: [String: Visit] = [:]
        for v in today { latestToday[v.campaign + "\u{0}" + v.household] = v }
        for v in latestToday.values where v.outcome.visited {
            households.insert(v.household)
            if v.outcome == .answered { people += v.people ?? 0 }
        }
        var needsByCategory: [(String, JSON)] = []
        let newNeeds = state.needs.values.filter { $0.openedAt >= dayStart && $0.openedAt < dayEnd }
        for category in NeedCategory.allCases {
            needsByCategory.append((category.rawValue, .number(newNeeds.filter { $0.category == category }.count)))
        }
        var data: [(String, JSON)] = [
            ("date", .string(ValueParser.localDate(dayStart))),
            ("households_visited_today", .number(households.count)), ("people_counted_today", .number(people)),
            ("new_needs", .object(needsByCategory)),
            ("needs_open", .number(state.needs.values.filter { $0.resolvedAt == nil }.count)),
            ("needs_resolved_today", .number(state.needs.values.filter { ($0.resolvedAt ?? 0) >= dayStart && ($0.resolvedAt ?? .max) < dayEnd }.count)),
            ("residents_tested_today", .number(state.tests.values.filter { $0 >= dayStart && $0 < dayEnd }.count)),
            ("residents_flagged_untested", .number(state.flagged.count)),
        ]
        data.append(("households_refused_today", .number(Set(latestToday.values.filter { $0.outcome == .refused }.map(\.household)).count)))
        // Every open campaign (or the one asked for): overlapping campaigns each have their figures.
        let campaigns = try name.map { [try campaign($0)] } ?? state.openCampaigns.reversed()
        data.append(("campaigns", .array(campaigns.map(campaignFigures))))
        data.append(("followups", .number(followupHouseholds(campaign: name == nil ? nil : campaigns.first).0.count)))
        if let roster = context.services.lookup((any RosterDirectory).self) {
            var residents = 0, tested = 0
            let window = dayEnd - Self.defaultWindow
            for h in await roster.households(buildings: nil) {
                for r in h.residents {
                    residents += 1
                    if let t = state.tests[h.id + "/" + r.name], t >= window, t < dayEnd { tested += 1 }
                }
            }
            data += [("testing", [
                "residents": .number(residents), "tested_72h": .number(tested),
                "percent": .double(residents == 0 ? 100 : (Double(tested) * 1000 / Double(residents)).rounded() / 10),
            ])]
        }
        return Reply(data: .object(data), message: "daily report").zh("每日汇总")
    }
}
