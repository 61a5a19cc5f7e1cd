import PluginAPI
import PluginSupport

/// Who did something: the name given with `by=`, else the caller's uid.
struct Actor: Codable, Sendable, Equatable {
    var name: String?
    var uid: UInt32?

    var shown: String { name ?? uid.map { "uid \($0)" } ?? "doorstepd" }

    /// The daemon itself (an escalation fired by its timer).
    static let daemon = Actor(name: nil, uid: nil)
}

/// Whom a page or an escalation reached: a name and phone, or why nobody.
struct Reached: Codable, Sendable, Equatable {
    var name: String?
    var phone: String?
    /// The gate paged (pages only).
    var gate: String?
    /// Why nobody was reached (`no key holder on duty at 东门`), else nil.
    var nobody: String?
}

/// One line of an incident's timeline.
struct Entry: Codable, Sendable, Equatable {
    enum What: String, Codable, Sendable {
        case opened, step, acknowledged, escalated, paged, note, closed
    }

    var what: What
    var at: Int64
    var by: Actor?
    /// The step ticked (`step`), or the step a page is for (`paged`).
    var step: String?
    /// Steps of the checklist put before this one and not done when it was typed in (the
    /// timeline shows the order by the times the steps were done: ``Incident/outOfOrder(_:)``).
    var outOfOrder: [String]?
    /// Free text (a note, a step's note, the close's note): masked for viewers.
    var text: String?
    /// Whom a page or escalation reached.
    var reached: Reached?
    /// The escalation step (1…) and the chain's length; `late` when it fired after the daemon
    /// was down at its due time.
    var level: Int?
    var of: Int?
    var target: String?
    var late: Bool?
    /// The journal record whose announced event hooks run for (pages and escalations that
    /// reached someone); set when the record is applied.
    var seq: UInt64?
    /// Whether this entry announced an event (its `seq` is filled in when applied).
    var announced: Bool?
}

/// An emergency, from the call to its close.
struct Incident: Codable, Sendable {
    var id: Int
    var kind: String
    /// The household as given (`3-2-501`), or the text typed for one the roster does not know.
    var household: String
    var building: String?
    /// Whether the roster knew the household when it was opened.
    var known: Bool
    var address: String?
    var caller: String?
    var phone: String?
    var note: String?
    /// When the call came (`at=`, default when it was opened).
    var at: Int64
    /// When it was opened in doorstepd: the escalation chain counts from here.
    var opened: Int64
    var by: Actor
    /// The checklist of its kind when it was opened.
    var checklist: [String]
    /// Whether the household had a plan when it was opened.
    var hadPlan: Bool
    /// Step → when it was done.
    var done: [String: Int64] = [:]
    var ackedAt: Int64?
    var ackedBy: Actor?
    /// Escalation steps fired or skipped so far, and when the next one is due.
    var escalated: Int = 0
    var nextDue: Int64?
    var closedAt: Int64?
    var closedBy: Actor?
    var outcome: String?
    var hospital: String?
    var forced: Bool?
    var leftOpen: [String]?
    var timeline: [Entry] = []

    var isOpen: Bool { closedAt == nil }

    var status: String { closedAt != nil ? "closed" : ackedAt != nil ? "acknowledged" : "open" }

    /// Steps not done, in checklist order.
    var remaining: [String] { checklist.filter { done[$0] == nil } }

    /// The steps the checklist puts before `step` that were not done before it (not done at
    /// all, or done later), by the times they were done: a step typed in late but dated in its
    /// order is not out of order.
    func outOfOrder(_ step: String) -> [String] {
        guard let at = done[step] else { return [] }
        return checklist.prefix { $0 != step }.filter { done[$0].map { $0 > at } ?? true }
    }

    /// Whether any step was done out of order.
    var outOfOrder: Bool { checklist.contains { !outOfOrder($0).isEmpty } }

    /// Whether the gate step's page went out (or was tried) already.
    func paged(for step: String) -> Bool { timeline.contains { $0.what == .paged && $0.step == step } }
}

/// A gate of the compound (东门, 北侧应急门) and the buildings it is nearest to.
struct Gate: Codable, Sendable, Equatable {
    var name: String
    /// Empty: every building without a gate of its own.
    var buildings: [String]
    var added: Int64
}

/// A shift: a gate's key holder, or an on-call role's person, from `from` to `to`.
struct Shift: Codable, Sendable, Equatable {
    var id: Int
    var gate: String?
    var role: String?
    var name: String
    var phone: String
    var from: Int64
    var to: Int64
    var removed: Int64?

    func covers(_ t: Int64) -> Bool { removed == nil && from <= t && t < to }
    func overlaps(_ other: Shift) -> Bool { removed == nil && other.removed == nil && from < other.to && other.from < to }
}

/// Why a household gets a plan: one resident's tags.
struct PlanReason: Codable, Sendable, Equatable, Hashable {
    /// `pregnant`, `elderly-alone+chronic-illness` or `disabled`.
    var kind: String
    var resident: String
    /// A pregnant resident's due date (`YYYY-MM-DD`), if the roster has one.
    var due: String?
}

/// A household prepared for before the call.
struct Plan: Codable, Sendable, Equatable {
    var household: String
    var building: String
    var reasons: [PlanReason]
    var since: Int64
}

/// What operators add to a plan.
struct PlanNote: Codable, Sendable, Equatable {
    var hospital: String?
    var note: String?
}

// MARK: journal records

struct IncidentOpened: StateEvent {
    static let eventType = "incident.open"
    static let schemaVersion = 1
    var incident: Incident
}

struct StepDone: StateEvent {
    static let eventType = "incident.step"
    static let schemaVersion = 1
    var id: Int
    var step: String
    var at: Int64
    var entries: [Entry]
}

struct Acknowledged: StateEvent {
    static let eventType = "incident.ack"
    static let schemaVersion = 1
    var id: Int
    var at: Int64
    var by: Actor
}

/// Timeline entries only: a note, or a page sent again.
struct EntriesAdded: StateEvent {
    static let eventType = "incident.entries"
    static let schemaVersion = 1
    var id: Int
    var entries: [Entry]
}

struct Escalated: StateEvent {
    static let eventType = "incident.escalate"
    static let schemaVersion = 1
    var id: Int
    /// The step (1…) fired or skipped.
    var level: Int
    var nextDue: Int64?
    var entry: Entry
}

struct Closed: StateEvent {
    static let eventType = "incident.close"
    static let schemaVersion = 1
    var id: Int
    var at: Int64
    var by: Actor
    var outcome: String
    var hospital: String?
    var forced: Bool
    var leftOpen: [String]
    var note: String?
}

struct GateAdded: StateEvent {
    static let eventType = "gate.add"
    static let schemaVersion = 1
    var gate: Gate
}

struct ShiftAdded: StateEvent {
    static let eventType = "shift.add"
    static let schemaVersion = 1
    var shift: Shift
}

struct ShiftRemoved: StateEvent {
    static let eventType = "shift.remove"
    static let schemaVersion = 1
    var id: Int
    var at: Int64
}

/// Plans that appeared, changed or went (no reasons) after roster changes.
struct PlansChanged: StateEvent {
    static let eventType = "plans.change"
    static let schemaVersion = 1
    var plans: [Plan]
    var at: Int64
}

/// Every plan, from a scan of the whole roster (the first start over an existing roster).
struct PlansScanned: StateEvent {
    static let eventType = "plans.scan"
    static let schemaVersion = 1
    var plans: [Plan]
    var at: Int64
}

struct PlanNoted: StateEvent {
    static let eventType = "plan.note"
    static let schemaVersion = 1
    var household: String
    var note: PlanNote
}

/// Everything the emergencies plugin knows, built only from its records.
struct EmergencyState: Codable, Sendable {
    var incidents: [Int: Incident] = [:]
    var nextIncident = 1
    var gates: [String: Gate] = [:]
    var gateOrder: [String] = []
    var shifts: [Int: Shift] = [:]
    var nextShift = 1
    var plans: [String: Plan] = [:]
    var planNotes: [String: PlanNote] = [:]
    var scannedAt: Int64?

    static let events = EventHandlers<EmergencyState>(
        .on(PrivacyPurged.self) { state, purged, _ in _ = state.purge(before: purged.before) },
        .on(IncidentOpened.self) { state, opened, recorded in
            var incident = opened.incident
            incident.timeline = incident.timeline.map { $0.stamped(recorded.seq) }
            state.incidents[incident.id] = incident
            state.nextIncident = max(state.nextIncident, incident.id + 1)
        },
        .on(StepDone.self) { state, s, recorded in
            state.incidents[s.id]?.done[s.step] = s.at
            state.incidents[s.id]?.timeline += s.entries.map { $0.stamped(recorded.seq) }
        },
        .on(Acknowledged.self) { state, a, _ in
            state.incidents[a.id]?.ackedAt = a.at
            state.incidents[a.id]?.ackedBy = a.by
            state.incidents[a.id]?.nextDue = nil
            state.incidents[a.id]?.timeline.append(Entry(what: .acknowledged, at: a.at, by: a.by))
        },
        .on(EntriesAdded.self) { state, e, recorded in
            state.incidents[e.id]?.timeline += e.entries.map { $0.stamped(recorded.seq) }
        },
        .on(Escalated.self) { state, e, recorded in
            guard var incident = state.incidents[e.id] else { return }
            incident.escalated = max(incident.escalated, e.level)
            incident.nextDue = e.nextDue
            incident.timeline.append(e.entry.stamped(recorded.seq))
            state.incidents[e.id] = incident
        },
        .on(Closed.self) { state, c, _ in
            guard var incident = state.incidents[c.id] else { return }
            incident.closedAt = c.at
            incident.closedBy = c.by
            incident.outcome = c.outcome
            incident.hospital = c.hospital
            incident.forced = c.forced
            incident.leftOpen = c.leftOpen
            incident.nextDue = nil
            incident.timeline.append(Entry(what: .closed, at: c.at, by: c.by, text: c.note))
            state.incidents[c.id] = incident
        },
        .on(GateAdded.self) { state, g, _ in
            if state.gates[g.gate.name] == nil { state.gateOrder.append(g.gate.name) }
            state.gates[g.gate.name] = g.gate
        },
        .on(ShiftAdded.self) { state, s, _ in
            state.shifts[s.shift.id] = s.shift
            state.nextShift = max(state.nextShift, s.shift.id + 1)
        },
        .on(ShiftRemoved.self) { state, r, _ in state.shifts[r.id]?.removed = r.at },
        .on(PlansChanged.self) { state, c, _ in
            for plan in c.plans {
                if plan.reasons.isEmpty { state.plans.removeValue(forKey: plan.household) } else { state.plans[plan.household] = plan }
            }
        },
        .on(PlansScanned.self) { state, s, _ in
            state.plans = Dictionary(s.plans.map { ($0.household, $0) }, uniquingKeysWith: { _, last in last })
            state.scannedAt = s.at
        },
        .on(PlanNoted.self) { state, n, _ in state.planNotes[n.household] = n.note }
    )

    mutating func apply(_ event: RecordedEvent) throws { try Self.events.apply(event, to: &self) }

    /// The gates nearest `building`: those naming it, else those serving every building, in
    /// the order they were added (the first is the one paged).
    func gates(for building: String?) -> [Gate] {
        let all = gateOrder.compactMap { gates[$0] }
        if let building {
            let own = all.filter { $0.buildings.contains(building) }
            if !own.isEmpty { return own }
        }
        return all.filter(\.buildings.isEmpty)
    }

    /// The shift of `gate` (or `role`) covering `t`.
    func onDuty(gate: String? = nil, role: String? = nil, at t: Int64) -> Shift? {
        shifts.values.filter { ($0.gate == gate && gate != nil || $0.role == role && role != nil) && $0.covers(t) }
            .min { $0.from < $1.from }
    }

    /// The next shift of `gate` (or `role`) starting after `t`.
    func next(gate: String? = nil, role: String? = nil, after t: Int64) -> Shift? {
        shifts.values.filter { ($0.gate == gate && gate != nil || $0.role == role && role != nil) && $0.removed == nil && $0.from > t }
            .min { $0.from < $1.from }
    }
}

extension Entry {
    /// The entry with the journal record's sequence number, if it announced an event.
    func stamped(_ seq: UInt64) -> Entry {
        guard announced == true, seq != 0 else { return self }
        var e = self
        e.seq = seq
        return e
    }
}
