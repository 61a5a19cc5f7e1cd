import PluginAPI
import Foundation

extension RosterPlugin {
    /// A household id argument; full-width digits and dashes (`６-１-１０１`) read as ASCII.
    nonisolated func householdID(_ text: String) throws -> HouseholdID {
        guard let id = HouseholdID(Normal.compatible(text)) else {
            throw ControlError.invalidArgument("household '\(text)' is not BUILDING-UNIT-ROOM (e.g. 3-2-501)")
        }
        return id
    }

    func existing(_ text: String) throws -> HouseholdID { try existing(text, in: state) }

    nonisolated func existing(_ text: String, in state: RosterState) throws -> HouseholdID {
        // An id stored before full-width digits were read as ASCII is still found as written.
        if let raw = HouseholdID(text), state.households[raw.description] != nil { return raw }
        let id = try householdID(text)
        guard state.households[id.description] != nil else { throw ControlError.notFound("household \(id) does not exist").zh("户 \(id) 不存在") }
        return id
    }

    /// `roster.import`: the body's encoding detected and converted (``ImportBody``), then read.
    func importCSV(bytes: [UInt8], partial: Bool, fillDown: Bool) async throws -> Reply {
        let decoded = try ImportBody.decode(bytes)
        let converted = decoded.convertedFrom.map { " (converted from \($0))" } ?? ""
        let result = try RosterImport.parse(decoded.text, options: .init(fillDown: fillDown, keepIDNumbers: keepIDNumbers))
        let (parsed, problems, vacant) = (result.residents, result.problems, result.vacant)
        if !problems.isEmpty, !partial {
            let shown = problems.prefix(20).map(\.text).joined(separator: "; ")
            throw ControlError.invalidArgument("\(Set(problems.map(\.line)).count) bad rows, nothing imported (mode=strict)\(converted): \(shown)"
                + (problems.count > 20 ? "; …" : "") + ". Fix them, or import the good rows with mode=partial")
        }
        var added = 0, updated = 0, unchanged = 0
        var changes: [Resident] = []
        for (_, resident) in parsed {
            switch state.resident(resident.household, resident.name) {
            case nil: added += 1; changes.append(resident)
            case let old? where old == resident: unchanged += 1
            default: updated += 1; changes.append(resident)
            }
        }
        let newVacant = Array(Set(vacant.filter { state.households[$0] == nil })).sorted()
        if !changes.isEmpty || !newVacant.isEmpty { try await recordPut(ResidentsPut(residents: changes, households: newVacant)) }
        let badRows = Set(problems.map(\.line)).count
        let data: JSON = [
            "rows": .number(result.rows), "added": .number(added), "updated": .number(updated),
            "unchanged": .number(unchanged), "vacant": .number(vacant.count), "new_vacant": .number(newVacant.count),
            "rejected": .number(badRows), "filled_down": .number(result.filled),
            "converted_from": .optional(decoded.convertedFrom), "problems": .array(problems.map(\.json)),
        ]
        var lines = decoded.convertedFrom.map { ["converted from: \($0)"] } ?? []
        lines += ["rows: \(result.rows)", "added: \(added)", "updated: \(updated)", "unchanged: \(unchanged)",
                  "vacant: \(vacant.count)", "rejected: \(badRows)"]
        if result.filled > 0 { lines.append("filled down: \(result.filled) cells") }
        lines += problems.map { "rejected " + $0.text }
        return Reply(data: data, lines: lines, message: "imported \(added + updated) residents\(converted)").zh("导入 \(added + updated) 名居民\(converted)")
    }

    func households(building: String?, prefix: String? = nil) -> Reply {
        let rows = state.orderedHouseholds.filter {
            (building == nil || $0.building == building) && (prefix == nil || $0.description.hasPrefix(prefix!))
        }.map { id -> JSON in
            let residents = state.households[id.description]!.values
            let tags = Set(residents.flatMap(\.tags)).sorted()
            return [
                "household": .string(id.description), "building": .string(id.building), "unit": .string(id.unit),
                "floor": .number(id.floor), "room": .string(id.room), "residents": .number(residents.count),
                "tags": .array(tags.map(JSON.string)), "leader": .optional(state.leader(ofBuilding: id.building)?.name),
            ]
        }
        return Reply(data: .array(rows), message: "\(rows.count) households").zh("\(rows.count) 户")
    }

    nonisolated func residentJSON(_ r: Resident, full: Bool) -> JSON {
        [
            "name": .string(r.name), "phone": .optional(r.phone.map { full ? $0 : Fields.maskPhone($0) }),
            "birth_year": r.birthYear.map { .number($0) } ?? .null, "sex": .optional(r.sex),
            "tags": .array(r.tags.map(JSON.string)), "due": .optional(r.due),
            "note": .optional(r.note.map { full ? $0 : "***" }),
            "id_number": .optional(r.idNumber.map { full ? $0 : Fields.maskID($0) }),
        ]
    }

    nonisolated func household(_ text: String, full: Bool, in state: RosterState) throws -> Reply {
        let id = try existing(text, in: state)
        let residents = state.households[id.description]!.values.sorted { $0.name < $1.name }
        let leader = state.leader(ofBuilding: id.building)
        return Reply(data: [
            "household": .string(id.description), "building": .string(id.building), "unit": .string(id.unit),
            "floor": .number(id.floor), "room": .string(id.room),
            "leader": leader.map { leaderJSON($0, full: full) } ?? .null,
            "residents": .array(residents.map { residentJSON($0, full: full) }),
        ], message: "\(residents.count) residents").zh("\(residents.count) 名居民")
    }

    func addHousehold(_ text: String) async throws -> Reply {
        let id = try householdID(text)
        guard state.households[id.description] == nil else { throw ControlError.conflict("household \(id) already exists") }
        let seq = try await recordPut(ResidentsPut(residents: [], households: [id.description]))
        return Reply(data: ["household": .string(id.description), "seq": .number(seq)], lines: [], message: "added \(id)").zh("已添加 \(id)")
    }

    /// A resident with the fields of `request` applied over `base`.
    func fields(_ request: Request, over base: Resident) throws -> Resident {
        var r = base
        func check<T>(_ result: Result<T, FieldError>, _ field: String) throws -> T {
            switch result {
            case .success(let v): return v
            case .failure(let why): throw ControlError.invalidArgument("argument '\(field)': \(why)")
            }
        }
        if let phone = try request[RosterArgs.phone] { r.phone = try check(Fields.phone(phone), "phone") }
        if let year = request.text(RosterArgs.birthYear) { r.birthYear = try check(Fields.birthYear(year), "birth_year") }
        if let sex = try request[RosterArgs.sex] { r.sex = try check(Fields.sex(sex), "sex") }
        if let tags = try request[RosterArgs.tags] { (r.tags, r.due) = try check(Tags.parse(tags), "tags") }
        if let note = try request[RosterArgs.note] { r.note = note.isEmpty ? nil : note }
        if let id = try request[RosterArgs.idNumber] { r.idNumber = try check(Fields.idNumber(id, keep: keepIDNumbers), "id_number") }
        return r
    }

    func addResident(_ request: Request) async throws -> Reply {
        let id = try householdID(try request[RosterArgs.household])
        let name: String
        switch Fields.name(try request[RosterArgs.name]) {
        case .success(let n): name = n
        case .failure(let why): throw ControlError.invalidArgument("argument 'name': \(why)")
        }
        if state.resident(id.description, name) != nil {
            throw ControlError.conflict("\(name) already lives in \(id); use roster.resident.update")
        }
        let resident = try fields(request, over: Resident(household: id.description, name: name, tags: []))
        let seq = try await recordPut(ResidentsPut(residents: [resident]))
        return Reply(data: ["household": .string(id.description), "name": .string(name), "seq": .number(seq)], lines: [],
                     message: "added \(name) to \(id)").zh("已将 \(name) 添加到 \(id)")
    }

    func updateResident(_ request: Request) async throws -> Reply {
        let id = try existing(try request[RosterArgs.household])
        let name = try request[RosterArgs.currentName]
        guard let old = state.resident(id.description, name) else {
            throw ControlError.notFound("\(name) does not live in \(id)").zh("\(name) 不住在 \(id)")
        }
        var updated = try fields(request, over: old)
        var remove: [[String]] = []
        if let newName = try request[RosterArgs.newName], newName != name {
            switch Fields.name(newName) {
            case .success(let n): updated.name = n
            case .failure(let why): throw ControlError.invalidArgument("argument 'new_name': \(why)")
            }
            guard state.resident(id.description, updated.name) == nil else {
                throw ControlError.conflict("\(updated.name) already lives in \(id)")
            }
            remove = [[id.description, name]]
        }
        guard updated != old else { return Reply(data: ["changed": false], lines: [], message: "nothing to change").zh("没有需要更改的") }
        let seq = try await recordPut(ResidentsPut(residents: [updated], remove: remove))
        return Reply(data: ["changed": true, "seq": .number(seq)], lines: [], message: "updated \(updated.name) in \(id)").zh("已更新 \(id) 的 \(updated.name)")
    }

    func removeResident(_ household: String, _ name: String) async throws -> Reply {
        let id = try existing(household)
        guard state.resident(id.description, name) != nil else { throw ControlError.notFound("\(name) does not live in \(id)").zh("\(name) 不住在 \(id)") }
        let left = (state.households[id.description]?.count ?? 1) - 1
        let seq = try await record(ResidentRemove(household: id.description, name: name),
                                   announcing: [Self.residentsChanged([id.description])] + Self.residentsCounted([(id.description, left)]))
        return Reply(data: ["seq": .number(seq)], lines: [], message: "removed \(name) from \(id)").zh("已从 \(id) 删除 \(name)")
    }

    func stats() -> Reply {
        let all = state.households.values.flatMap(\.values)
        var tags: [(String, JSON)] = []
        for tag in Tags.vocabulary { tags.append((tag, .number(all.filter { $0.tags.contains(tag) }.count))) }
        let buildings = Set(state.orderedHouseholds.map(\.building)).count
        return Reply(data: [
            "buildings": .number(buildings), "households": .number(state.households.count), "residents": .number(all.count),
            "vacant_households": .number(state.households.values.filter(\.isEmpty).count), "tags": .object(tags),
            // A leader whose buildings all went to others leads nothing.
            "leaders": .number(state.leaders.values.filter { !$0.buildings.isEmpty }.count),
        ])
    }

    nonisolated func leaderJSON(_ l: Leader, full: Bool) -> JSON {
        ["name": .string(l.name), "kind": .optional(l.kind), "phone": .optional(l.phone.map { full ? $0 : Fields.maskPhone($0) }),
         "org": .optional(l.org),
         "buildings": .array(l.buildings.sorted { NaturalKey($0) < NaturalKey($1) }.map(JSON.string))]
    }

    func assignLeader(_ request: Request) async throws -> Reply {
        let name = try request[RosterArgs.leader]
        let buildings = try request[RosterArgs.buildings].split(whereSeparator: { $0 == "," || $0 == "，" })
            .map { Normal.trimmed(Normal.compatible(String($0))) }.filter { !$0.isEmpty }
        guard !buildings.isEmpty else { throw ControlError.invalidArgument("argument 'buildings': name at least one building") }
        for b in buildings {
            if let problem = HouseholdID.problem(with: b) { throw ControlError.invalidArgument("building '\(b)' \(problem)") }
        }
        var phone = state.leaders[name]?.phone
        if let p = try request[RosterArgs.leaderPhone] {
            switch Fields.phone(p) {
            case .success(let v): phone = v
            case .failure(let why): throw ControlError.invalidArgument("argument 'phone': \(why)")
            }
        }
        let leader = Leader(name: name, phone: phone, org: try request[RosterArgs.org] ?? state.leaders[name]?.org,
                            buildings: Array(Set((state.leaders[name]?.buildings ?? []) + buildings)).sorted { NaturalKey($0) < NaturalKey($1) },
                            kind: try request[RosterArgs.kind] ?? state.leaders[name]?.kind)
        // Buildings another leader has: taken only with replace=yes, and said so.
        var taken: [(from: Leader, buildings: [String])] = []
        for other in state.leaders.values.sorted(by: { $0.name < $1.name }) where other.name != name {
            let mine = other.buildings.filter { buildings.contains($0) }
            if !mine.isEmpty { taken.append((other, mine.sorted { NaturalKey($0) < NaturalKey($1) })) }
        }
        func described(_ t: (from: Leader, buildings: [String])) -> String {
            let left = t.from.buildings.filter { !t.buildings.contains($0) }
            return "building\(t.buildings.count > 1 ? "s" : "") \(t.buildings.joined(separator: ", ")) from \(t.from.name)"
                + (left.isEmpty ? " (\(t.from.name) now leads no building)" : "")
        }
        if !taken.isEmpty, try request[RosterArgs.replace] != true {
            let who = taken.map { "\($0.buildings.joined(separator: ", ")) by \($0.from.name)" }.joined(separator: "; ")
            throw ControlError.conflict("building\(taken.flatMap(\.buildings).count > 1 ? "s" : "") already led: \(who); "
                + "add replace=yes to take " + taken.map(described).joined(separator: " and "))
        }
        let seq = try await record(LeaderAssign(leader: leader))
        let took: [JSON] = taken.map { t in
            ["from": .string(t.from.name), "buildings": .array(t.buildings.map(JSON.string)),
             "from_leads_nothing": .bool(t.from.buildings.allSatisfy { t.buildings.contains($0) })]
        }
        return Reply(data: ["leader": leaderJSON(leader, full: true), "took": .array(took), "seq": .number(seq)], lines: [],
                     message: "\(name) leads buildings \(leader.buildings.sorted { NaturalKey($0) < NaturalKey($1) }.joined(separator: ", "))"
                        + (taken.isEmpty ? "" : "; took " + taken.map(described).joined(separator: " and ")))
    }

    /// Leaders with buildings; those whose buildings all went to others are listed after them
    /// with none, and not counted.
    func leaders(full: Bool) -> Reply {
        let all = state.leaders.values.sorted { $0.name < $1.name }
        let leading = all.filter { !$0.buildings.isEmpty }
        let idle = all.filter { $0.buildings.isEmpty }
        let rows = (leading + idle).map { leaderJSON($0, full: full) }
        return Reply(data: .array(rows), message: "\(leading.count) leaders"
            + (idle.isEmpty ? "" : "; leading no building: " + idle.map(\.name).joined(separator: ", ")))
    }

    nonisolated func leaderFor(_ text: String, full: Bool, in state: RosterState) throws -> Reply {
        let id = try existing(text, in: state)
        guard let leader = state.leader(ofBuilding: id.building) else {
            throw ControlError.notFound("building \(id.building) has no leader yet; assign one with roster.leader.assign").zh("楼栋 \(id.building) 还没有楼栋长；用 roster.leader.assign 指定")
        }
        return Reply(data: ["household": .string(id.description), "leader": leaderJSON(leader, full: full)],
                     message: "call \(leader.name)" + (leader.phone.map { " at \(full ? $0 : Fields.maskPhone($0))" } ?? "")).zh("请联系 \(leader.name)" + (leader.phone.map { "，电话 \(full ? $0 : Fields.maskPhone($0))" } ?? ""))
    }
}
