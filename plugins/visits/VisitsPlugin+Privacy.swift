public import PluginAPI

extension VisitsPlugin: PurgeablePlugin {
    /// Notes, need texts and items (medicine), resolutions and residents' names are personal
    /// or health data; visitors (staff) and outcomes are not.
    public static let sensitiveFields: [SensitiveField] = [
        .personal("note"), .personal("text"), .personal("resolution"), .personal("reopen_note"), .health("item"),
        .personal("residents.name"), .personal("names"), .personal("untested"), .personal("escort"), .health("needs.text"),
    ]

    public func purge(before: Int64, dryRun: Bool) async throws -> PurgeCounts {
        var copy = state
        let counts = copy.purge(before: before)
        if dryRun || counts.isEmpty { return counts }
        try await record(PrivacyPurged(before: before))
        return counts
    }

    public func personalData(cutoff: Int64?) async -> [PersonalDataHeld] { state.personalData(cutoff: cutoff) }
}
