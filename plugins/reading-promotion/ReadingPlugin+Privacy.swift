public import PluginAPI

extension ReadingPromotionPlugin: PurgeablePlugin {
    /// Registrants' and invited readers' names, contacts and notes are personal; posts and
    /// events are public.
    public static let sensitiveFields: [SensitiveField] = [
        .personal("registrations.name"), .personal("invites.name"), .personal("contact"), .personal("note"),
        .personal("key"),
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
