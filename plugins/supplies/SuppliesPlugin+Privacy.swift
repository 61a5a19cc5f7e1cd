public import PluginAPI

extension SuppliesPlugin: PurgeablePlugin {
    /// Notes are personal; a donor is personal too but shown with the donor's consent, which
    /// only this plugin knows per entry (`consented`: it masks the others itself); a stock
    /// move's `detail` is masked here when it names a donor. Amounts are financial and shown.
    public static let sensitiveFields: [SensitiveField] = [
        .personal("note"), .consented("donor"), .consented("detail"), .personal("from"),
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
