import PluginAPI
import PluginSupport
import RosterInterface

/// Gates and their key holders, on-call shifts per role (Resgrid's shifts, without the app).
extension EmergenciesPlugin {
    func addGate(_ raw: String, buildings text: String?) async throws -> Reply {
        let name = raw.trimmingSpaces
        guard !name.isEmpty, name.count <= 32, !name.contains(where: { $0 == "," || $0.isNewline }) else {
            throw ControlError.invalidArgument("argument 'name': a gate name of 1 to 32 characters without ',' (东门, 北侧应急门)")
        }
        let buildings = text.map { Text.list($0).map(Text.building) } ?? []
        if text != nil, buildings.isEmpty { throw ControlError.invalidArgument("argument 'buildings': name at least one building (3,4)") }
        if let roster {
            let known = Set(await roster.households(buildings: buildings).map(\.building))
            let unknown = buildings.filter { !known.contains($0) }
            guard unknown.isEmpty else {
                throw ControlError.notFound("building\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")) "
                    + "\(unknown.count > 1 ? "have" : "has") no households in the roster")
            }
        }
        // After the await.
        if let existing = state.gates[name] {
            throw ControlError.conflict("gate \(name) already exists (buildings \(existing.buildings.isEmpty ? "all" : existing.buildings.joined(separator: ",")))")
        }
        let shared = buildings.filter { b in state.gates.values.contains { $0.buildings.contains(b) } }
        let seq = try await record(GateAdded(gate: Gate(name: name, buildings: buildings, added: now())))
        return Reply(data: ["gate": .string(name), "buildings": .array(buildings.map(JSON.string)), "seq": .number(Int(seq))], lines: [],
                     message: "gate \(name) added for " + (buildings.isEmpty ? "every building without a gate of its own" : "buildings \(buildings.joined(separator: ", "))")
                        + (shared.isEmpty ? "" : "; \(shared.joined(separator: ", ")) already had a gate, which stays the one paged")
                        + "; put a key holder on duty: emergencies.gate.holder \(name) name=… phone=… from=… to=…")
    }

    func gateList(full: Bool) -> Reply {
        let now = now()
        let rows: [JSON] = state.gateOrder.compactMap { state.gates[$0] }.map { g in
            let on = state.onDuty(gate: g.name, at: now)
            let next = state.next(gate: g.name, after: now)
            return ["gate": .string(g.name), "buildings": .string(g.buildings.isEmpty ? "others 其他" : g.buildings.joined(separator: ",")),
                    "holder": .string(on?.name ?? "NONE ON DUTY 无人值班"), "phone": .optional(Phone.shown(on?.phone, full: full)),
                    "until": on.map { .string(ValueParser.iso8601($0.to)) } ?? .null,
                    "next": next.map { .string("\($0.name) \(ValueParser.display($0.from))") } ?? .null]
        }
        let uncovered = rows.filter { $0["holder"]?.plainString?.hasPrefix("NONE") == true }.count
        return Reply(data: .array(rows), message: "\(rows.count) gates" + (uncovered == 0 ? "" : "; !! \(uncovered) with no key holder on duty"))
    }

    /// `gate.holder` (gate given) and `oncall.set` (role given).
    func addShift(_ request: Request, gate: String?, role: String?) async throws -> Reply {
        if let gate, state.gates[gate] == nil {
            throw ControlError.notFound("gate \(ValueParser.shown(gate)) does not exist; "
                + (state.gateOrder.isEmpty ? "add it with emergencies.gate.add \(gate) buildings=…" : "gates are \(state.gateOrder.joined(separator: ", "))"))
        }
        if let role, !settings.roles.contains(role) {
            throw ControlError.invalidArgument("argument 'role': unknown role '\(ValueParser.shown(role))'; roles are \(settings.roles.joined(separator: ", "))")
        }
        let name = try request[EmergencyArgs.name].trimmingSpaces
        guard !name.isEmpty, name.count <= 64 else { throw ControlError.invalidArgument("argument 'name': 1 to 64 characters") }
        let rawPhone = try request[EmergencyArgs.shiftPhone]
        guard let phone = Phone.normalised(rawPhone) else {
            throw ControlError.invalidArgument("argument 'phone': '\(ValueParser.shown(rawPhone))' is not a phone number (5 to 15 digits)")
        }
        let from = try request[EmergencyArgs.from], to = try request[EmergencyArgs.to]
        guard to > from else {
            throw ControlError.invalidArgument("argument 'to': \(ValueParser.display(to)) is not after from=\(ValueParser.display(from))")
        }
        guard to - from <= 7 * 86_400 else { throw ControlError.invalidArgument("argument 'to': a shift is at most 7 days long") }
        let shift = Shift(id: state.nextShift, gate: gate, role: role, name: name, phone: phone, from: from, to: to)
        let what = gate ?? role!
        if let other = state.shifts.values.sorted(by: { $0.from < $1.from }).first(where: {
            ($0.gate == gate && gate != nil || $0.role == role && role != nil) && $0.overlaps(shift)
        }) {
            throw ControlError.conflict("\(what) already has \(other.name) on duty \(ValueParser.display(other.from)) – \(ValueParser.display(other.to)) "
                + "(shift \(other.id)); shifts of one \(gate != nil ? "gate" : "role") must not overlap (emergencies.shift.remove \(other.id) if it is wrong)")
        }
        let seq = try await record(ShiftAdded(shift: shift))
        return Reply(data: ["shift": .number(shift.id), "gate": .optional(gate), "role": .optional(role), "name": .string(name),
                            "phone": .string(phone), "from": .string(ValueParser.iso8601(from)), "to": .string(ValueParser.iso8601(to)),
                            "seq": .number(Int(seq))], lines: [],
                     message: "shift \(shift.id): \(name) \(gate != nil ? "holds the key of" : "on call as") \(what) "
                        + "\(ValueParser.display(from)) – \(ValueParser.display(to))")
    }

    func oncall(role: String?, at: Int64?, full: Bool) throws -> Reply {
        if let role, !settings.roles.contains(role) {
            throw ControlError.invalidArgument("argument 'role': unknown role '\(ValueParser.shown(role))'; roles are \(settings.roles.joined(separator: ", "))")
        }
        let t = at ?? now()
        let rows: [JSON] = settings.roles.filter { role == nil || $0 == role }.map { r in
            let on = state.onDuty(role: r, at: t)
            let next = state.next(role: r, after: t)
            return ["role": .string(r), "now": .string(on?.name ?? "nobody 无人"), "phone": .optional(Phone.shown(on?.phone, full: full)),
                    "until": on.map { .string(ValueParser.iso8601($0.to)) } ?? .null, "next": .optional(next?.name),
                    "next_phone": .optional(Phone.shown(next?.phone, full: full)),
                    "next_from": next.map { .string(ValueParser.iso8601($0.from)) } ?? .null]
        }
        let nobody = rows.filter { $0["until"] == .null }.count
        return Reply(data: .array(rows), message: "on call at \(ValueParser.display(t))" + (nobody == 0 ? "" : "; nobody for \(nobody) roles"))
    }

    func removeShift(_ id: Int) async throws -> Reply {
        guard let shift = state.shifts[id] else { throw ControlError.notFound("shift \(id) does not exist") }
        if let removed = shift.removed { throw ControlError.conflict("shift \(id) was removed at \(ValueParser.display(removed))") }
        let seq = try await record(ShiftRemoved(id: id, at: now()))
        return Reply(data: ["shift": .number(id), "seq": .number(Int(seq))], lines: [],
                     message: "shift \(id) removed (\(shift.name), \(shift.gate ?? shift.role ?? ""))")
    }
}
