import PluginAPI
import PluginSupport

/// A step of a checklist: what to do, in Chinese and English, and whose job it is.
struct StepSpec: Sendable, Equatable {
    var name: String
    var zh: String
    var en: String
    /// A role of `roles`, `building-leader` or `key-holder`; nil: anyone.
    var owner: String?
}

/// A kind of emergency and its checklist, in the order the steps should be done.
struct KindSpec: Sendable, Equatable {
    var name: String
    var zh: String
    var en: String
    var steps: [String]
}

/// Whom an escalation step notifies.
enum EscalationTarget: Sendable, Equatable, CustomStringConvertible {
    case buildingLeader
    case oncall(String)
    case dutyPhone

    init?(_ text: String) {
        switch text {
        case "building-leader": self = .buildingLeader
        case "duty-phone": self = .dutyPhone
        default:
            guard text.hasPrefix("oncall:"), text.count > 7 else { return nil }
            self = .oncall(String(text.dropFirst(7)))
        }
    }

    var description: String {
        switch self {
        case .buildingLeader: "building-leader"
        case .oncall(let role): "oncall:\(role)"
        case .dutyPhone: "duty-phone"
        }
    }

    /// `楼栋长`, `值班 cadre`, `社区值班电话`.
    var zh: String {
        switch self {
        case .buildingLeader: "楼栋长"
        case .oncall(let role): "值班 \(role)"
        case .dutyPhone: "社区值班电话"
        }
    }
}

/// One step of the escalation chain: notify `to`, `after` the step before it.
struct EscalationStep: Sendable, Equatable {
    var to: EscalationTarget
    var after: Int64
}

/// `[plugins.emergencies]`, validated (docs: config/doorstep.toml, plugins/emergencies/README.md).
struct EmergencySettings: Sendable, Equatable {
    var dutyPhone: String?
    var roles: [String]
    var escalation: [EscalationStep]
    var ambulanceStep: String
    var gateStep: String
    var planDueWithinDays: Int
    var hospital: String?
    var steps: [String: StepSpec]
    var kinds: [String: KindSpec]
    /// Kind names: built-in ones in their order, then those the config adds, sorted.
    var kindOrder: [String]

    /// Owners a step may name besides the roles.
    static let fixedOwners = ["building-leader", "key-holder"]

    static let builtInSteps: [StepSpec] = [
        StepSpec(name: "call-120", zh: "拨打120", en: "call 120 (ambulance)", owner: "cadre"),
        StepSpec(name: "open-gate", zh: "打开应急门", en: "open the emergency gate", owner: "key-holder"),
        StepSpec(name: "escort", zh: "陪同上救护车", en: "escort to the ambulance", owner: "building-leader"),
        StepSpec(name: "notify-family", zh: "通知家属", en: "notify the family", owner: "building-leader"),
        StepSpec(name: "first-aid", zh: "现场急救", en: "first aid on site", owner: "doctor"),
        StepSpec(name: "call-119", zh: "拨打119", en: "call 119 (fire brigade)", owner: "cadre"),
        StepSpec(name: "evacuate", zh: "疏散楼栋", en: "evacuate the building", owner: "building-leader"),
        StepSpec(name: "stay-with", zh: "专人陪护", en: "stay with the person", owner: "volunteer"),
        StepSpec(name: "assess", zh: "上门了解情况", en: "go and see", owner: "building-leader"),
    ]

    static let builtInKinds: [KindSpec] = [
        KindSpec(name: "labour", zh: "临产", en: "labour", steps: ["call-120", "open-gate", "escort", "notify-family"]),
        KindSpec(name: "chest-pain", zh: "胸痛", en: "chest pain", steps: ["call-120", "open-gate", "first-aid", "escort", "notify-family"]),
        KindSpec(name: "fall", zh: "摔倒", en: "fall", steps: ["first-aid", "call-120", "open-gate", "notify-family"]),
        KindSpec(name: "fire", zh: "火情", en: "fire", steps: ["call-119", "evacuate", "open-gate", "notify-family"]),
        KindSpec(name: "mental", zh: "心理危机", en: "mental health crisis", steps: ["stay-with", "call-120", "open-gate", "notify-family"]),
        KindSpec(name: "other", zh: "其他", en: "other", steps: ["assess", "notify-family"]),
    ]

    static let defaultEscalation: [EscalationStep] = [
        EscalationStep(to: .buildingLeader, after: 300), EscalationStep(to: .oncall("cadre"), after: 300),
        EscalationStep(to: .dutyPhone, after: 600), EscalationStep(to: .oncall("team-leader"), after: 600),
    ]

    init(_ config: PluginConfig) throws(ConfigError) {
        let phone = try config.string("duty_phone", default: "")
        if phone.isEmpty {
            dutyPhone = nil
        } else {
            guard let p = Phone.normalised(phone) else {
                throw ConfigError(key: "duty_phone", "\"\(ValueParser.shown(phone))\" is not a phone number (5 to 15 digits)")
            }
            dutyPhone = p
        }
        let roles = try config.strings("roles", default: ["cadre", "team-leader", "staff", "volunteer", "doctor"])
        self.roles = roles
        guard !roles.isEmpty else { throw ConfigError(key: "roles", "name at least one on-call role, such as \"cadre\"") }
        for role in roles where !Self.isName(role) || Self.fixedOwners.contains(role) {
            throw ConfigError(key: "roles", "\"\(ValueParser.shown(role))\" is not a role name (lowercase letters, digits and '-'; "
                + "not building-leader or key-holder)")
        }
        if Set(roles).count != roles.count { throw ConfigError(key: "roles", "a role is listed twice") }

        // Steps: the built-in ones, replaced or added to by tables of the config.
        var steps: [String: StepSpec] = [:]
        for s in Self.builtInSteps { steps[s.name] = s }
        for (name, table) in try Self.tables(config, "steps") {
            guard Self.isName(name) else {
                throw ConfigError(key: "steps.\(name)", "'\(ValueParser.shown(name))' is not a step name (lowercase letters, digits and '-')")
            }
            let zh = try Self.label(table, "zh", at: "steps.\(name)")
            let en = try Self.label(table, "en", at: "steps.\(name)")
            var owner: String?
            switch table["owner"] {
            case nil: owner = nil
            case .string(let o)?:
                guard roles.contains(o) || Self.fixedOwners.contains(o) else {
                    throw ConfigError(key: "steps.\(name).owner", "owner '\(ValueParser.shown(o))' is not one of "
                        + (roles + Self.fixedOwners).joined(separator: ", "))
                }
                owner = o
            case let other?: throw ConfigError(key: "steps.\(name).owner", "expected a role as a string, got \(other.typeName)")
            }
            try Self.noOtherKeys(table, ["zh", "en", "owner"], at: "steps.\(name)")
            steps[name] = StepSpec(name: name, zh: zh, en: en, owner: owner)
        }
        // A built-in step whose owner is a role the config removed keeps no owner.
        for (name, s) in steps where s.owner.map({ !roles.contains($0) && !Self.fixedOwners.contains($0) }) == true {
            steps[name]?.owner = nil
        }
        self.steps = steps

        var kinds: [String: KindSpec] = [:]
        for k in Self.builtInKinds { kinds[k.name] = k }
        var added: [String] = []
        for (name, table) in try Self.tables(config, "kinds") {
            guard Self.isName(name) else {
                throw ConfigError(key: "kinds.\(name)", "'\(ValueParser.shown(name))' is not a kind name (lowercase letters, digits and '-')")
            }
            let zh = try Self.label(table, "zh", at: "kinds.\(name)")
            let en = try Self.label(table, "en", at: "kinds.\(name)")
            guard case .array(let items)? = table["steps"] else {
                throw ConfigError(key: "kinds.\(name).steps", "expected the checklist as an array of step names, "
                    + "such as [\"call-120\", \"open-gate\", \"escort\", \"notify-family\"]")
            }
            var list: [String] = []
            for item in items {
                guard case .string(let step) = item else {
                    throw ConfigError(key: "kinds.\(name).steps", "expected step names (strings), got \(item.typeName)")
                }
                guard steps[step] != nil else {
                    throw ConfigError(key: "kinds.\(name).steps", "unknown step '\(ValueParser.shown(step))'; steps are "
                        + steps.keys.sorted().joined(separator: ", ") + " (add one with [plugins.emergencies.steps.NAME])")
                }
                guard !list.contains(step) else { throw ConfigError(key: "kinds.\(name).steps", "\(step) is listed twice") }
                list.append(step)
            }
            guard !list.isEmpty else { throw ConfigError(key: "kinds.\(name).steps", "a checklist needs at least one step") }
            try Self.noOtherKeys(table, ["zh", "en", "steps"], at: "kinds.\(name)")
            if kinds[name] == nil { added.append(name) }
            kinds[name] = KindSpec(name: name, zh: zh, en: en, steps: list)
        }
        self.kinds = kinds
        kindOrder = Self.builtInKinds.map(\.name) + added.sorted()

        // The escalation chain.
        if config.values["escalation"] == nil {
            _ = config.raw("escalation")
            escalation = Self.defaultEscalation
        } else {
            var chain: [EscalationStep] = []
            for (i, entry) in try config.tables("escalation").enumerated() {
                let at = "escalation.\(i)"
                guard case .string(let to)? = entry.values["to"], let target = EscalationTarget(to) else {
                    throw ConfigError(key: "\(at).to", "expected to = \"building-leader\", \"oncall:ROLE\" or \"duty-phone\"")
                }
                _ = entry.raw("to")
                if case .oncall(let role) = target, !roles.contains(role) {
                    throw ConfigError(key: "\(at).to", "'\(role)' is not an on-call role; roles are \(roles.joined(separator: ", "))")
                }
                let after: Duration
                do { after = try entry.duration("after", default: .seconds(300)) } catch {
                    throw ConfigError(key: "\(at).after", error.message)
                }
                guard after >= .zero, after <= .seconds(86_400) else { throw ConfigError(key: "\(at).after", "expected 0s to 24h") }
                if let unknown = entry.unreadKeys.first {
                    throw ConfigError(key: "\(at).\(unknown)", "unknown key '\(unknown)'; an escalation step has to and after")
                }
                chain.append(EscalationStep(to: target, after: after.components.seconds))
            }
            escalation = chain
        }
        for step in escalation {
            if case .oncall(let role) = step.to, !roles.contains(role) {
                throw ConfigError(key: "escalation", "the default chain notifies oncall:\(role), which is not in roles; "
                    + "give escalation = [...] too")
            }
        }

        ambulanceStep = try config.string("ambulance_step", default: "call-120")
        guard steps[ambulanceStep] != nil else { throw ConfigError(key: "ambulance_step", "unknown step '\(ValueParser.shown(ambulanceStep))'") }
        gateStep = try config.string("gate_step", default: "open-gate")
        guard steps[gateStep] != nil else { throw ConfigError(key: "gate_step", "unknown step '\(ValueParser.shown(gateStep))'") }
        planDueWithinDays = try config.int("plan_due_within_days", default: 30, range: 1...300)
        let hospital = try config.string("hospital", default: "")
        self.hospital = hospital.isEmpty ? nil : hospital
    }

    /// Lowercase letters, digits and '-', 1 to 32 characters.
    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 32 && s.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }

    /// The tables under `key` (`[plugins.emergencies.kinds.NAME]`), by name.
    static func tables(_ config: PluginConfig, _ key: String) throws(ConfigError) -> [(String, [String: ConfigValue])] {
        switch config.raw(key) {
        case nil: return []
        case .table(let t)?:
            var out: [(String, [String: ConfigValue])] = []
            for (name, value) in t.sorted(by: { $0.key < $1.key }) {
                guard case .table(let inner) = value else {
                    throw ConfigError(key: "\(key).\(name)", "expected a table ([plugins.emergencies.\(key).\(name)]), got \(value.typeName)")
                }
                out.append((name, inner))
            }
            return out
        case let other?: throw ConfigError(key: key, "expected tables ([plugins.emergencies.\(key).NAME]), got \(other.typeName)")
        }
    }

    static func label(_ table: [String: ConfigValue], _ key: String, at path: String) throws(ConfigError) -> String {
        guard case .string(let s)? = table[key], !s.isEmpty, s.count <= 40 else {
            throw ConfigError(key: "\(path).\(key)", "expected a label of 1 to 40 characters"
                + (key == "zh" ? " in Chinese, such as zh = \"打开应急门\"" : " in English, such as en = \"open the emergency gate\""))
        }
        return s
    }

    static func noOtherKeys(_ table: [String: ConfigValue], _ known: [String], at path: String) throws(ConfigError) {
        if let unknown = table.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(key: "\(path).\(unknown)", "unknown key '\(unknown)'; known keys are \(known.joined(separator: ", "))")
        }
    }

    /// The kinds in their order.
    var orderedKinds: [KindSpec] { kindOrder.compactMap { kinds[$0] } }

    /// The chain's steps with their due times, for an incident opened (recorded) at `start`.
    func schedule(from start: Int64) -> [Int64] {
        var t = start
        return escalation.map { t += $0.after; return t }
    }
}

/// Phone numbers: what is accepted, and how viewers see them.
enum Phone {
    /// A phone number as typed (full-width digits read as ASCII), or nil: 5 to 15 digits with
    /// `-`, `+` and spaces; an 11-digit number starting with 1 must be a mobile (13–19).
    static func normalised(_ raw: String) -> String? {
        let v = Text.compatible(raw).trimmingSpaces
        let digits = v.filter { $0.isASCII && $0.isNumber }
        guard !v.isEmpty, v.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "-" || $0 == "+" || $0 == " " }),
            (5...15).contains(digits.count)
        else { return nil }
        if digits.count == 11, digits.first == "1", !v.contains("-") {
            guard let second = digits.dropFirst().first, "3456789".contains(second) else { return nil }
        }
        return v
    }

    /// `138****5678`, as the roster shows phones to viewers.
    static func masked(_ phone: String) -> String {
        let chars = Array(phone)
        guard chars.count > 7 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(3)) + String(repeating: "*", count: chars.count - 7) + String(chars.suffix(4))
    }

    /// The phone as `full` callers see it.
    static func shown(_ phone: String?, full: Bool) -> String? { phone.map { full ? $0 : masked($0) } }
}
