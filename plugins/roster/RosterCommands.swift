import PluginAPI

/// The roster's command specs.
enum RosterCommands {
    static let residentFields: [ArgumentSpec] = [
        .named("phone", summary: "phone number (masked for viewers)"),
        .named("birth_year", .int(min: 1900, max: 2100), summary: "year of birth"),
        .named("sex", .choice(["M", "F", "男", "女", "m", "f", "male", "female"]), summary: "M/F or 男/女"),
        .named("tags", summary: "tags separated by ';' (pregnant:YYYY-MM-DD for a due date)"),
        .named("note", summary: "free note (masked for viewers)"),
    ]

    static let specs: [CommandSpec] = [
        CommandSpec("roster.import", summary: "import residents from a CSV body (English or Chinese headers)", role: .operator,
                    arguments: [
                        .named("format", .choice(["csv"]), required: true, summary: "body format"),
                        .named("mode", .choice(["strict", "partial"]), summary: "strict: all or nothing (default); partial: the good rows"),
                    ], body: .required, mutates: true),
        CommandSpec("roster.households", summary: "households in walking order", arguments: [
            .named("building", summary: "only this building"),
        ]),
        CommandSpec("roster.household", summary: "one household: residents, tags, leader", arguments: [
            .positional("household", summary: "household id BUILDING-UNIT-ROOM"),
        ]),
        CommandSpec("roster.household.add", summary: "add a household with no residents yet (e.g. vacant)", role: .operator,
                    arguments: [.positional("household", summary: "household id BUILDING-UNIT-ROOM")], mutates: true),
        CommandSpec("roster.resident.add", summary: "add a resident to a household", role: .operator,
                    arguments: [.positional("household", summary: "household id"), .named("name", required: true, summary: "name")]
                        + residentFields, mutates: true),
        CommandSpec("roster.resident.update", summary: "change a resident's fields (new_name renames)", role: .operator,
                    arguments: [.positional("household", summary: "household id"), .positional("name", summary: "current name"),
                                .named("new_name", summary: "new name")] + residentFields, mutates: true),
        CommandSpec("roster.resident.remove", summary: "remove a resident", role: .operator,
                    arguments: [.positional("household", summary: "household id"), .positional("name", summary: "name")], mutates: true),
        CommandSpec("roster.export", summary: "the roster as CSV (round-trips with import)", role: .operator,
                    arguments: [.named("format", .choice(["csv"]), required: true, summary: "output format")]),
        CommandSpec("roster.stats", summary: "buildings, households, residents, counts per tag"),
        CommandSpec("roster.leader.assign", summary: "make a person building leader (楼栋长) of buildings", role: .operator,
                    arguments: [
                        .positional("name", summary: "leader's name"),
                        .named("buildings", required: true, summary: "buildings separated by ','"),
                        .named("phone", summary: "phone"), .named("org", summary: "home organisation (e.g. 省图书馆)"),
                        .named("kind", .choice(["cadre", "volunteer"]), summary: "sent-down cadre (下沉干部) or volunteer"),
                    ], mutates: true),
        CommandSpec("roster.leaders", summary: "building leaders and their buildings"),
        CommandSpec("roster.leader.for", summary: "whom a household should call", arguments: [
            .positional("household", summary: "household id"),
        ]),
    ]
}
