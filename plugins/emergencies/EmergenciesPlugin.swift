import Foundation
import HooksInterface
public import PluginAPI
import PluginSupport
import RosterInterface

/// The call at 4 a.m.: intake with everything the responder needs at once, the checklist of the
/// kind in its order, the gate's key holder paged, on-call shifts, escalation when nobody
/// acknowledges (persistent timers on the host's clock), the timeline with its figures, and
/// plans prepared before the call that follow the roster through durable reactions.
public actor EmergenciesPlugin: StatefulPlugin {
    public static let id = "emergencies"
    public static let summary = "the call at 4 a.m.: intake, checklists, gates and key holders, on-call, escalation, timeline, plans"

    var state = EmergencyState()
    var settings: EmergencySettings
    let context: PluginContext

    public nonisolated var stateService: any StateService { context.state }

    /// When this instance was created (the daemon's start, or a restart of the plugin): an
    /// escalation step due before it was missed while the daemon was down, and fires late.
    let started: Int64

    public init(config: PluginConfig, context: PluginContext) throws {
        settings = try EmergencySettings(config)
        self.context = context
        started = context.clock.now()
    }

    /// New kinds, steps, roles and waits apply from now on; incidents keep the checklist they
    /// were opened with, and a chain already running keeps its next due time.
    public func reload(_ config: PluginConfig) async throws -> Bool {
        settings = try EmergencySettings(config)
        return true
    }

    public func apply(_ event: RecordedEvent) throws { try state.apply(event) }

    public func encodeSnapshot() throws -> [UInt8] { try SnapshotJSON.encode(state) }

    public func restoreSnapshot(_ bytes: [UInt8]?) throws {
        state = try SnapshotJSON.decode(EmergencyState.self, bytes, empty: EmergencyState())
    }

    public func status() async -> JSON {
        let open = state.incidents.values.filter(\.isOpen)
        return ["open_incidents": .number(open.count), "unacknowledged": .number(open.filter { $0.ackedAt == nil }.count),
                "incidents": .number(state.incidents.count), "gates": .number(state.gates.count),
                "plans": .number(activePlans(at: now()).count), "duty_phone": .bool(settings.dutyPhone != nil)]
    }

    /// Plans follow the roster: every household whose residents change is looked at again.
    public static let reactions: [EventReaction<EmergenciesPlugin>] = [
        .on("roster.residents.changed") { plugin, event in try await plugin.residentsChanged(event) },
    ]

    /// Escalation timers that the last run left (a crash between an incident's record and its
    /// timer's) are set again. Nothing else is recorded at start (plans: ``plansNow(at:)``).
    public func run() async throws {
        await rearmEscalations()
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    public func persistentTimerFired(_ name: String) async {
        let parts = name.split(separator: ".")
        guard parts.count >= 3, parts[0] == "escalate", let id = Int(parts[1]) else {
            context.logger.warning("unknown persistent timer", metadata: ["timer": "\(name)"])
            return
        }
        await escalate(id)
    }

    // MARK: services and time

    var roster: (any RosterDirectory)? { context.services.lookup((any RosterDirectory).self) }
    var contacts: (any RosterContacts)? { context.services.lookup((any RosterContacts).self) }
    var hookRuns: (any HookRuns)? { context.services.lookup((any HookRuns).self) }

    /// The community's wall clock (manual in tests).
    nonisolated func now() -> Int64 { context.clock.now() }

    func incident(_ id: Int) throws -> Incident {
        guard let incident = state.incidents[id] else {
            let last = state.nextIncident - 1
            throw ControlError.notFound("incident \(id) does not exist" + (last > 0 ? " (incidents are 1 to \(last))" : " (none opened yet)"))
        }
        return incident
    }

    func kind(_ name: String) -> KindSpec? { settings.kinds[name] }

    /// `临产 labour` for a kind, the name itself for one the config no longer has.
    func label(kind name: String) -> (zh: String, en: String) {
        settings.kinds[name].map { ($0.zh, $0.en) } ?? (name, name)
    }

    func label(step name: String) -> StepSpec {
        settings.steps[name] ?? StepSpec(name: name, zh: name, en: name, owner: nil)
    }
}
