import PluginAPI
import PluginSupport
import RosterInterface

/// Escalation when nobody acknowledges: each step of `[plugins.emergencies] escalation` notifies
/// someone through `emergencies.escalated` (a hook sends the SMS) after its wait. Each next step
/// is a persistent timer (a journal record of the host), on the host's clock: a restart continues
/// the chain, and a step that fell due while the daemon was down fires once at start.
extension EmergenciesPlugin {
    /// `escalate.7.2`: incident 7's second step.
    static func timerName(_ id: Int, step: Int) -> String { "escalate.\(id).\(step)" }

    /// The steps still to come for an open, unacknowledged incident, with their due times.
    func escalationPlan(_ incident: Incident) -> [(level: Int, target: String, at: Int64)] {
        guard incident.isOpen, incident.ackedAt == nil, var t = incident.nextDue else { return [] }
        var out: [(Int, String, Int64)] = []
        for (i, step) in settings.escalation.enumerated() where i >= incident.escalated {
            if i > incident.escalated { t += step.after }
            out.append((i + 1, step.to.description, t))
        }
        return out
    }

    /// Fires every step of incident `id` that is due (each once, in order), then sets the timer
    /// of the next one. Runs from the persistent timer; a step already fired is not fired again.
    func escalate(_ id: Int) async {
        do {
            while true {
                guard let incident = state.incidents[id], incident.isOpen, incident.ackedAt == nil,
                    incident.escalated < settings.escalation.count, let due = incident.nextDue
                else { return }
                let now = now()
                guard due <= now else {
                    try await context.timers.persist(Self.timerName(id, step: incident.escalated + 1), at: due)
                    return
                }
                let level = incident.escalated + 1
                let step = settings.escalation[level - 1]
                let reached = await whom(step.to, incident, at: now)
                // After the await: another firing may have done this step meanwhile.
                guard let current = state.incidents[id], current.isOpen, current.ackedAt == nil, current.escalated == level - 1 else {
                    continue
                }
                // Due before this instance started: missed while the daemon was down, fired at start.
                let late = due < started
                // A step that reached nobody is skipped: the next one does not wait.
                let nextDue: Int64? = level < settings.escalation.count
                    ? (reached.phone == nil ? due : due + settings.escalation[level].after) : nil
                let entry = Entry(what: .escalated, at: now, by: .daemon, reached: reached, level: level, of: settings.escalation.count,
                                  target: step.to.description, late: late ? true : nil, announced: reached.phone != nil)
                var announced: [Announcement] = []
                if let phone = reached.phone {
                    // The phone of the staff member to wake is what the event is for; no resident's data.
                    announced.append(Announcement("emergencies.escalated", [
                        "incident": .number(id), "kind": .string(current.kind), "building": .string(current.building ?? "-"),
                        "household": .string(current.household), "step": .number(level), "of": .number(settings.escalation.count),
                        "to": .string(step.to.description), "phone": .string(phone), "late": .bool(late),
                    ]))
                }
                try await record(Escalated(id: id, level: level, nextDue: nextDue, entry: entry), announcing: announced)
                context.logger.warning("incident not acknowledged: escalated", metadata: [
                    "incident": "\(id)", "step": "\(level)", "to": "\(step.to)", "reached": "\(reached.phone != nil)", "late": "\(late)",
                ])
            }
        } catch {
            // Not recorded (the disk is full, say): try again in a while, on a timer of its own.
            context.logger.error("cannot record an escalation; trying again in 30 s", metadata: ["incident": "\(id)", "error": "\(error)"])
            let next = (state.incidents[id]?.escalated ?? 0) + 1
            try? await context.timers.persist(Self.timerName(id, step: next) + ".retry", at: now() + 30)
        }
    }

    /// Whom a step notifies now: a name and phone, or why nobody.
    func whom(_ target: EscalationTarget, _ incident: Incident, at t: Int64) async -> Reached {
        switch target {
        case .buildingLeader:
            guard let building = incident.building else { return Reached(nobody: "no building: the household is not an id") }
            guard let leader = await contacts?.leader(ofBuilding: building) else {
                return Reached(nobody: contacts == nil ? "the roster is not running" : "building \(building) has no leader")
            }
            guard let phone = leader.phone else { return Reached(name: leader.name, nobody: "leader \(leader.name) has no phone in the roster") }
            return Reached(name: leader.name, phone: phone)
        case .oncall(let role):
            guard let shift = state.onDuty(role: role, at: t) else { return Reached(nobody: "nobody on call for \(role)") }
            return Reached(name: shift.name, phone: shift.phone)
        case .dutyPhone:
            guard let phone = settings.dutyPhone else { return Reached(nobody: "no duty_phone in [plugins.emergencies]") }
            return Reached(name: "社区值班电话", phone: phone)
        }
    }

    /// Cancels the timer of the next step (an acknowledgement or a close stops the chain; a
    /// timer that fires anyway finds the incident acknowledged and does nothing).
    func stopEscalation(_ incident: Incident) async {
        guard incident.escalated < settings.escalation.count else { return }
        do { try await context.timers.cancelPersistent(Self.timerName(incident.id, step: incident.escalated + 1)) } catch {
            context.logger.notice("cannot cancel an escalation timer; it will find the incident done", metadata: ["incident": "\(incident.id)"])
        }
    }

    /// At start: the timer of every chain still running is set again (idempotent: a timer the
    /// host still has is replaced with the same due time, and a step fires only once).
    func rearmEscalations() async {
        let running = state.incidents.values.filter { $0.isOpen && $0.ackedAt == nil && $0.escalated < settings.escalation.count }
            .sorted { $0.id < $1.id }
        for incident in running {
            guard let due = incident.nextDue else { continue }
            do { try await context.timers.persist(Self.timerName(incident.id, step: incident.escalated + 1), at: due) } catch {
                context.logger.error("cannot set an escalation timer at start", metadata: ["incident": "\(incident.id)", "error": "\(error)"])
            }
        }
    }
}
