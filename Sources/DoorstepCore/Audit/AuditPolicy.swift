import PluginAPI

/// Which requests the audit trail records (docs/protocol.md §6).
enum AuditPolicy {
    /// Reads open to viewers that show operators and admins personal data in clear (viewers
    /// get it masked, and their reads are not recorded). Kept here, beside the rule, until
    /// fields declare their sensitivity (issue 19); `AuditPolicyTests` checks every name
    /// still exists, so a renamed command cannot silently drop out of the trail.
    static let personalReads: Set<String> = [
        "roster.household", "roster.leaders", "roster.leader.for",
        "emergencies.show", "emergencies.gates", "emergencies.oncall", "emergencies.plans", "emergencies.plan",
        "supplies.requests", "supplies.request", "supplies.stock.moves", "supplies.ledger",
        "visits.needs", "visits.followups",
        "reading.event.show", "reading.invites",
    ]

    /// How a request for `spec` by a caller with `role` is recorded, or nil when it is not:
    /// every change, every command that needs operator or admin (exports, backups, reloads),
    /// and the personal reads of operators and admins; whatever the outcome, refusals included.
    static func kind(of spec: CommandSpec, callerRole role: Role) -> AuditRecord.Kind? {
        if spec.mutates { return .change }
        if spec.role >= .operator { return .read }
        if role >= .operator, personalReads.contains(spec.name) { return .read }
        return nil
    }
}
