public import PluginAPI

extension RosterPlugin: PurgeablePlugin {
    /// Residents' names, phones, ID numbers and notes are personal, their tags and due dates
    /// health data (leaders' names are not: a building leader's name is posted on the door).
    public static let sensitiveFields: [SensitiveField] = [
        .personal("residents.name"), .personal("phone"), .personal("id_number"), .personal("note"), .personal("csv"),
        .personal("residents_text"), .health("tags"), .health("due"),
    ]

    public func purge(before: Int64, dryRun: Bool) async throws -> PurgeCounts {
        var copy = state
        let counts = copy.purge(before: before)
        if dryRun || counts.isEmpty { return counts }
        try await record(PrivacyPurged(before: before))
        return counts
    }

    public func personalData(cutoff: Int64?) async -> [PersonalDataHeld] { [state.personalData(cutoff: cutoff)] }
}
