public import PluginAPI

extension EmergenciesPlugin: PurgeablePlugin {
    /// Callers, phones, addresses, notes and residents are personal; tags and due dates are
    /// health data. Names of key holders and cadres on duty are shown (their phones are not).
    public static let sensitiveFields: [SensitiveField] = [
        .personal("caller"), .personal("phone"), .personal("address"), .personal("note"), .personal("text"),
        .personal("resident"), .personal("residents"), .personal("holder_phone"), .personal("leader_phone"),
        .personal("next_phone"), .health("tags"), .health("due"), .health("reasons"),
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
