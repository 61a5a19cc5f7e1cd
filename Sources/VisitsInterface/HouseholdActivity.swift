public import DoorstepValues

/// What other plugins know about a household (offered by `visits`, shown by
/// `roster.household`): latest visit, open needs, test status.
public protocol HouseholdActivity: Sendable {
    /// A JSON object describing the household's activity, or nil if there is none; `full` is
    /// false for viewers, who must not see free text (it may hold personal data). Answered at
    /// once from locked state: `roster.household` calls it from an event loop (an immediate command).
    func activity(household: String, full: Bool) -> JSON?
}
