public import PluginAPI

/// Reads answered on the connection's event loop, from the locked state.
extension RosterPlugin: ImmediateReads {
    public static let immediateCommands: Set<String> = ["roster.household", "roster.leader.for"]

    public nonisolated func answerNow(_ request: Request) throws -> Reply? {
        let full = request.caller.role >= .operator
        let text = request.string("household")!
        switch request.command {
        case "roster.household":
            var reply = try shared.read { try household(text, full: full, in: $0) }
            // Outside the roster's lock: visits takes its own.
            if let activity = context.services.lookup((any HouseholdActivity).self),
                let extra = activity.activity(household: text, full: full), case .object(var fields) = reply.data
            {
                fields.append(("activity", extra))
                reply.data = .object(fields)
            }
            return reply
        case "roster.leader.for": return try shared.read { try leaderFor(text, full: full, in: $0) }
        default: return nil
        }
    }
}
