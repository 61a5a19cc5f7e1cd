import Foundation
import PluginAPI
import PluginSupport

/// The outcome of knocking on a door.
enum Outcome: String, Codable, CaseIterable, Sendable {
    case answered
    case noAnswer = "no-answer"
    case refused
    case vacant

    /// Whether the household counts as visited for coverage.
    var visited: Bool { self == .answered || self == .vacant }

    /// The outcome in Chinese, for a `lang=zh-CN` connection's messages.
    var zh: String {
        switch self {
        case .answered: return "已应答"
        case .noAnswer: return "无人应答"
        case .refused: return "拒绝"
        case .vacant: return "空置"
        }
    }
}

/// Need categories recorded on a visit.
enum NeedCategory: String, Codable, CaseIterable, Sendable {
    case food, medicine, medical, escort, heating, other
}

struct Campaign: Codable, Sendable {
    var name: String
    var deadline: Int64
    var buildings: [String]?
    /// Households covered, fixed when the campaign starts, in walking order.
    var households: [String]
    var buildingOf: [String: String]
    var startedAt: Int64
    var closedAt: Int64?
}

struct Visit: Codable, Sendable {
    var campaign: String
    /// The other open campaigns covering the household when it was visited: the visit counts
    /// for each of them too (overlapping campaigns, `overlap=yes`).
    var also: [String]?
    var household: String
    var outcome: Outcome
    var people: Int?
    var note: String?
    var visitor: String?
    var at: Int64
}

struct Need: Codable, Sendable {
    var id: Int
    var household: String
    var category: NeedCategory
    var text: String?
    /// What, how many, in what (the `needs=` grammar), when the text says.
    var item: String?
    var quantity: Int?
    var unit: String?
    var openedAt: Int64
    var visit: Int64
    var resolvedAt: Int64?
    var resolvedBy: String?
    var resolution: String?
    /// When the request serving it was cancelled with nothing delivered, and why: open again,
    /// with nothing on the way (`*.need.reopened`).
    var reopenedAt: Int64?
    var reopenNote: String?
}

// MARK: events

struct CampaignStarted: StateEvent {
    static let eventType = "campaign.start"
    static let schemaVersion = 1
    var campaign: Campaign
}

struct CampaignClosed: StateEvent {
    static let eventType = "campaign.close"
    static let schemaVersion = 1
    var name: String
    var at: Int64
}

struct Assigned: StateEvent {
    static let eventType = "assign"
    static let schemaVersion = 1
    var building: String
    var visitor: String
}

struct Recorded: StateEvent {
    static let eventType = "visit"
    static let schemaVersion = 1
    var visit: Visit
    var needs: [NeedInput]
}

struct NeedInput: Codable, Sendable {
    var category: NeedCategory
    var text: String?
    var item: String?
    var quantity: Int?
    var unit: String?
}

/// Households added to the roster after an open campaign started, in that campaign's buildings.
struct CampaignJoined: StateEvent {
    static let eventType = "campaign.join"
    static let schemaVersion = 1
    var campaign: String
    var households: [String]
    var buildings: [String]
    var at: Int64
}

/// A need open again: what was to serve it was cancelled with nothing delivered.
struct NeedReopened: StateEvent {
    static let eventType = "need.reopen"
    static let schemaVersion = 1
    var id: Int
    var by: String?
    var note: String?
    var at: Int64
}

/// Residents tested (a PCR sample taken).
struct Tested: StateEvent {
    static let eventType = "test"
    static let schemaVersion = 1
    var household: String
    var names: [String]
    var at: Int64
    var site: String?
}

/// Residents named on a "big data" untested list, after matching against the roster.
struct Flagged: StateEvent {
    static let eventType = "tests.flagged"
    static let schemaVersion = 1
    /// `household/name` of each matched resident.
    var residents: [String]
    var at: Int64
}

struct NeedResolved: StateEvent {
    static let eventType = "need.resolve"
    static let schemaVersion = 1
    var id: Int
    var by: String?
    var note: String?
    var at: Int64
}

/// Everything the visits plugin knows, built only from its events.
struct VisitsState: Codable, Sendable {
    var campaigns: [String: Campaign] = [:]
    var campaignOrder: [String] = []
    var assignments: [String: String] = [:]
    /// Every visit in order.
    var visits: [Visit] = []
    /// Campaign → household → index of its latest visit.
    var latest: [String: [String: Int]] = [:]
    /// Campaign → household → consecutive unanswered attempts.
    var attempts: [String: [String: Int]] = [:]
    var needs: [Int: Need] = [:]
    var nextNeed = 1
    /// `household/name` → latest test time (and site).
    var tests: [String: Int64] = [:]
    var testSites: [String: String] = [:]
    /// `household/name` → when a big-data list flagged the resident as untested.
    var flagged: [String: Int64] = [:]
    /// `household/name` → the resident's number within the household (1, 2, …), given when
    /// first tested: `visits.tested` carries these instead of names.
    var residentSlots: [String: Int] = [:]

    // Indexes derived from the fields above: not in snapshots, rebuilt when one is decoded, so a
    // household's activity is a few look-ups instead of scans over every visit, need and test.
    /// Household → index of its latest visit in any campaign.
    private(set) var lastVisit: [String: Int] = [:]
    /// Household → ids of its needs that are still open.
    private(set) var openNeeds: [String: Set<Int>] = [:]
    /// Household → names with a recorded test.
    private(set) var testedNames: [String: Set<String>] = [:]
    /// Household → resident numbers given (the next is one more).
    private(set) var slotCount: [String: Int] = [:]

    enum CodingKeys: String, CodingKey {
        case campaigns, campaignOrder, assignments, visits, latest, attempts, needs, nextNeed, tests, testSites, flagged, residentSlots
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        campaigns = try c.decode([String: Campaign].self, forKey: .campaigns)
        campaignOrder = try c.decode([String].self, forKey: .campaignOrder)
        assignments = try c.decode([String: String].self, forKey: .assignments)
        visits = try c.decode([Visit].self, forKey: .visits)
        latest = try c.decode([String: [String: Int]].self, forKey: .latest)
        attempts = try c.decode([String: [String: Int]].self, forKey: .attempts)
        needs = try c.decode([Int: Need].self, forKey: .needs)
        nextNeed = try c.decode(Int.self, forKey: .nextNeed)
        tests = try c.decode([String: Int64].self, forKey: .tests)
        testSites = try c.decode([String: String].self, forKey: .testSites)
        flagged = try c.decode([String: Int64].self, forKey: .flagged)
        if let slots = try c.decodeIfPresent([String: Int].self, forKey: .residentSlots) {
            residentSlots = slots
            for key in slots.keys { slotCount[Self.household(of: key), default: 0] += 1 }
        } else {
            // A snapshot of a release before resident numbers: number the tested residents now.
            for key in tests.keys.sorted() { giveSlot(key) }
        }
        for (i, v) in visits.enumerated() { lastVisit[v.household] = i }
        for n in needs.values where n.resolvedAt == nil { openNeeds[n.household, default: []].insert(n.id) }
        for key in tests.keys { indexTest(key) }
    }

    static func household(of key: String) -> String { String(key.prefix { $0 != "/" }) }

    /// Rebuilds the derived indexes from the fields (after a purge renamed tested residents).
    mutating func reindex() {
        lastVisit = [:]
        openNeeds = [:]
        testedNames = [:]
        slotCount = [:]
        for key in residentSlots.keys { slotCount[Self.household(of: key), default: 0] += 1 }
        for (i, v) in visits.enumerated() { lastVisit[v.household] = i }
        for n in needs.values where n.resolvedAt == nil { openNeeds[n.household, default: []].insert(n.id) }
        for key in tests.keys { indexTest(key) }
    }

    /// Numbers the resident `household/name` if it has no number yet.
    private mutating func giveSlot(_ key: String) {
        guard residentSlots[key] == nil else { return }
        let household = Self.household(of: key)
        let next = (slotCount[household] ?? 0) + 1
        slotCount[household] = next
        residentSlots[key] = next
    }

    private mutating func indexTest(_ key: String) {
        guard let slash = key.firstIndex(of: "/") else { return }
        testedNames[String(key[..<slash]), default: []].insert(String(key[key.index(after: slash)...]))
    }

    /// The visits plugin's journal records, each type and version with the function applying it.
    static let events = EventHandlers<VisitsState>(
        .on(CampaignStarted.self) { state, started, _ in
            let c = started.campaign
            state.campaigns[c.name] = c
            state.campaignOrder.removeAll { $0 == c.name }
            state.campaignOrder.append(c.name)
        },
        .on(CampaignClosed.self) { state, close, _ in
            state.campaigns[close.name]?.closedAt = close.at
        },
        .on(CampaignJoined.self) { state, j, _ in
            guard var c = state.campaigns[j.campaign] else { return }
            for (h, b) in zip(j.households, j.buildings) where c.buildingOf[h] == nil {
                c.households.append(h)
                c.buildingOf[h] = b
            }
            c.households.sort(by: WalkingOrder.precedes)
            state.campaigns[j.campaign] = c
        },
        .on(NeedReopened.self) { state, r, _ in
            guard var need = state.needs[r.id] else { return }
            need.resolvedAt = nil
            need.resolvedBy = nil
            need.resolution = nil
            need.reopenedAt = r.at
            need.reopenNote = r.note
            state.needs[r.id] = need
            state.openNeeds[need.household, default: []].insert(r.id)
        },
        .on(Assigned.self) { state, a, _ in
            state.assignments[a.building] = a.visitor
        },
        .on(Recorded.self) { state, r, record in
            let v = r.visit
            state.visits.append(v)
            state.lastVisit[v.household] = state.visits.count - 1
            for campaign in [v.campaign] + (v.also ?? []) {
                state.latest[campaign, default: [:]][v.household] = state.visits.count - 1
                if v.outcome == .noAnswer {
                    state.attempts[campaign, default: [:]][v.household, default: 0] += 1
                } else {
                    state.attempts[campaign]?.removeValue(forKey: v.household)
                }
            }
            for need in r.needs {
                state.needs[state.nextNeed] = Need(id: state.nextNeed, household: v.household, category: need.category,
                                                   text: need.text, item: need.item, quantity: need.quantity, unit: need.unit,
                                                   openedAt: v.at, visit: record.seq == 0 ? 0 : Int64(record.seq))
                state.openNeeds[v.household, default: []].insert(state.nextNeed)
                state.nextNeed += 1
            }
        },
        .on(Tested.self) { state, t, _ in
            for name in t.names {
                let key = t.household + "/" + name
                state.giveSlot(key)
                if (state.tests[key] ?? .min) <= t.at {
                    state.tests[key] = t.at
                    state.testSites[key] = t.site
                    state.indexTest(key)
                }
                state.flagged.removeValue(forKey: key)
            }
        },
        .on(Flagged.self) { state, f, _ in
            for key in f.residents where (state.tests[key] ?? .min) < f.at { state.flagged[key] = f.at }
        },
        .on(PrivacyPurged.self) { state, purged, _ in _ = state.purge(before: purged.before) },
        .on(NeedResolved.self) { state, r, _ in
            state.needs[r.id]?.resolvedAt = r.at
            state.needs[r.id]?.resolvedBy = r.by
            state.needs[r.id]?.resolution = r.note
            if let household = state.needs[r.id]?.household { state.openNeeds[household]?.remove(r.id) }
        }
    )

    mutating func apply(_ event: RecordedEvent) throws { try Self.events.apply(event, to: &self) }

    /// The open campaigns covering `household`, the latest started first.
    func openCampaigns(for household: String) -> [Campaign] {
        campaignOrder.reversed().compactMap { campaigns[$0] }.filter { $0.closedAt == nil && $0.buildingOf[household] != nil }
    }

    /// The open campaigns, the latest started first.
    var openCampaigns: [Campaign] {
        campaignOrder.reversed().compactMap { campaigns[$0] }.filter { $0.closedAt == nil }
    }

    /// The latest open campaign, or the latest campaign of all.
    var currentCampaign: Campaign? {
        campaignOrder.reversed().compactMap { campaigns[$0] }.first { $0.closedAt == nil }
            ?? campaignOrder.last.flatMap { campaigns[$0] }
    }

    func latestVisit(_ campaign: String, _ household: String) -> Visit? {
        latest[campaign]?[household].map { visits[$0] }
    }
}
