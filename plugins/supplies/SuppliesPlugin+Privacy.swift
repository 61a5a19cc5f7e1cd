public import PluginAPI

extension SuppliesPlugin: PurgeablePlugin {
    /// Notes and donors are personal (a donor is shown when `public`: consented, or already
    /// anonymised); amounts are financial and shown.
    public static let sensitiveFields: [SensitiveField] = [
        .personal("note"), .personal("donor", shownWith: "public"), .personal("from"), .personal("detail"),
        .financial("amount"), .financial("amount_fen"), .financial("fen"), .financial("balance"), .financial("balance_fen"),
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
