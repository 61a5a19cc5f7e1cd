public import PluginAPI

extension ReadingPromotionPlugin: PurgeablePlugin {
    /// Registrants' and invited readers' names, contacts and notes are personal; posts and
    /// events are public (an event's `key` is a post's dispatch key, `reading-1-weibo`: shown).
    public static let sensitiveFields: [SensitiveField] = [
        .personal("registrations.name"), .personal("invites.name"), .personal("contact"), .personal("note"),
        .personal("registrations.key"), .personal("invites.key"),
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
