public import PluginAPI
import PluginSupport

/// The roster's arguments, each declared once and shared by the commands that take it.
enum RosterArgs {
    static let household = Arg.positional("household", summary: "household id BUILDING-UNIT-ROOM")
    /// The same argument as the resident and leader commands describe it.
    static let householdID = household.summary("household id")
    static let name = Arg.required("name", summary: "name").sensitive(.personal)
    static let currentName = Arg.positional("name", summary: "current name")
    static let residentName = Arg.positional("name", summary: "name").sensitive(.personal)
    static let newName = Arg.named("new_name", summary: "new name").sensitive(.personal)
    static let phone = Arg.named("phone", summary: "phone number (masked for viewers)").sensitive(.personal)
    static let birthYear = Arg.named("birth_year", .int(min: 1900, max: 2100), summary: "year of birth")
    static let sex = Arg.named("sex", .choice(["M", "F", "男", "女", "m", "f", "male", "female"]), summary: "M/F or 男/女")
    static let tags = Arg.named("tags", summary: "tags separated by ';' (pregnant:YYYY-MM-DD for a due date)").sensitive(.health)
    static let note = Arg.named("note", summary: "free note (masked for viewers)").sensitive(.personal)
    static let idNumber = Arg.named("id_number", summary: "ID number 身份证号 (only the last 4 kept unless keep_id_numbers; masked for viewers)").sensitive(.personal)
    static let residentFields: [any ArgumentDeclaration] = [phone, birthYear, sex, tags, note, idNumber]

    static let format = Arg.required("format", .choice(["csv"]), summary: "body format")
    static let exportFormat = format.summary("output format")
    static let mode = Arg.named("mode", .choice(["strict", "partial"]), summary: "strict: all or nothing (default); partial: the good rows")
    static let fillDown = Arg.named("fill_down", .bool,
                                    summary: "yes: empty building and unit cells take the row above's (merged cells)")
    static let headers = Arg.named("headers", .choice(RosterImport.Headers.self), summary: "header words: zh (default) or en")
    static let replace = Arg.named("replace", .bool, summary: "yes: take buildings another leader has")
    static let building = Arg.named("building", summary: "only this building")
    static let prefix = Arg.named("prefix", summary: "only ids starting with this (3-2- is unit 2 of building 3); for completion")
    static let leader = Arg.positional("name", summary: "leader's name")
    static let buildings = Arg.required("buildings", summary: "buildings separated by ','")
    static let leaderPhone = Arg.named("phone", summary: "phone")
    static let org = Arg.named("org", summary: "home organisation (e.g. 省图书馆)")
    static let kind = Arg.named("kind", .choice(["cadre", "volunteer"]), summary: "sent-down cadre (下沉干部) or volunteer")
}

extension RosterPlugin {
    /// Every roster command, declared once: spec, help and handler.
    public static let commands: [Command<RosterPlugin>] = [
        Command("roster.import", summary: "import residents from a CSV body (UTF-8, GB18030 or UTF-16; English or Chinese headers)",
                role: .operator, arguments: [RosterArgs.format, RosterArgs.mode, RosterArgs.fillDown], body: .required,
                bodyEncoding: .bytes, mutates: true) { roster, request in
            try await roster.importCSV(bytes: request.bodyBytes ?? [], partial: try request[RosterArgs.mode] == "partial",
                                       fillDown: try request[RosterArgs.fillDown] ?? false)
        },
        Command("roster.households", summary: "households in walking order",
                arguments: [RosterArgs.building, RosterArgs.prefix]) { roster, request in
            await roster.households(building: try request[RosterArgs.building], prefix: try request[RosterArgs.prefix])
        },
        .immediate("roster.household", summary: "one household: residents, tags, leader", arguments: [RosterArgs.household]) { roster, request in
            try roster.householdNow(try request[RosterArgs.household], full: request.caller.role >= .operator)
        },
        Command("roster.household.add", summary: "add a household with no residents yet (e.g. vacant)", role: .operator,
                arguments: [RosterArgs.household], mutates: true) { roster, request in
            try await roster.addHousehold(try request[RosterArgs.household])
        },
        Command("roster.resident.add", summary: "add a resident to a household", role: .operator,
                arguments: [RosterArgs.householdID, RosterArgs.name] + RosterArgs.residentFields, mutates: true) { roster, request in
            try await roster.addResident(request)
        },
        Command("roster.resident.update", summary: "change a resident's fields (new_name renames)", role: .operator,
                arguments: [RosterArgs.householdID, RosterArgs.currentName, RosterArgs.newName] + RosterArgs.residentFields,
                mutates: true) { roster, request in
            try await roster.updateResident(request)
        },
        Command("roster.resident.remove", summary: "remove a resident", role: .operator,
                arguments: [RosterArgs.householdID, RosterArgs.residentName], mutates: true) { roster, request in
            try await roster.removeResident(try request[RosterArgs.household], try request[RosterArgs.residentName])
        },
        Command("roster.export", summary: "the roster as CSV for Excel/WPS (UTF-8 BOM, CRLF; round-trips with import)",
                role: .operator, arguments: [RosterArgs.exportFormat, RosterArgs.headers]) { roster, request in
            await roster.exportCSV(headers: try request[RosterArgs.headers] ?? .zh)
        },
        Command("roster.stats", summary: "buildings, households, residents, counts per tag") { roster, _ in await roster.stats() },
        Command("roster.leader.assign", summary: "make a person building leader (楼栋长) of buildings", role: .operator,
                arguments: [RosterArgs.leader, RosterArgs.buildings, RosterArgs.leaderPhone, RosterArgs.org, RosterArgs.kind,
                            RosterArgs.replace],
                mutates: true) { roster, request in
            try await roster.assignLeader(request)
        },
        Command("roster.leaders", summary: "building leaders and their buildings") { roster, request in
            await roster.leaders(full: request.caller.role >= .operator)
        },
        .immediate("roster.leader.for", summary: "whom a household should call", arguments: [RosterArgs.householdID]) { roster, request in
            let text = try request[RosterArgs.household]
            return try roster.shared.read { try roster.leaderFor(text, full: request.caller.role >= .operator, in: $0) }
        },
    ]
}
