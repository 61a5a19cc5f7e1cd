import PluginAPI
import PluginSupport

/// The events that let the district count what the nightly report counts (docs/district.md):
/// campaigns, visits and tests, with ids, counts, outcomes and times only. Events reach every
/// viewer and leave the community through doorstep-ship: no names, notes or need texts.
extension VisitsPlugin {
    /// `visits.campaign.started` `{"campaign", "deadline", "at", "households", "by_building": [{"building", "households"}]}`.
    nonisolated static func campaignStarted(_ c: Campaign) -> Announcement {
        Announcement("visits.campaign.started", [
            "campaign": .string(c.name), "deadline": .string(ValueParser.iso8601(c.deadline)), "at": .string(ValueParser.iso8601(c.startedAt)),
            "households": .number(c.households.count), "by_building": byBuilding(c.households.map { c.buildingOf[$0] ?? "" }),
        ])
    }

    /// `[{"building": "3", "households": 40}, …]` in walking order.
    nonisolated static func byBuilding(_ buildings: [String]) -> JSON {
        var counts: [String: Int] = [:]
        for b in buildings { counts[b, default: 0] += 1 }
        return .array(counts.keys.sorted(by: WalkingOrder.buildingPrecedes).map {
            ["building": .string($0), "households": .number(counts[$0]!)]
        })
    }

    /// `visits.recorded` `{"campaign", "also", "household", "building", "outcome", "people", "at"}`:
    /// one per visit (the visitor and the note stay in the community).
    nonisolated static func recordedEvent(_ v: Visit, building: String?) -> Announcement {
        Announcement("visits.recorded", [
            "campaign": .string(v.campaign), "also": .array((v.also ?? []).map(JSON.string)), "household": .string(v.household),
            "building": .string(building ?? WalkingOrder.building(of: v.household)), "outcome": .string(v.outcome.rawValue),
            "people": v.people.map { .number($0) } ?? .null, "at": .string(ValueParser.iso8601(v.at)),
        ])
    }

    /// `visits.tested` `{"household", "building", "residents": [1, 3], "at"}`: the residents
    /// tested as numbers within the household (the same number for the same resident every
    /// time, never the name), so the district counts each resident's latest test.
    nonisolated static func testedEvent(_ household: String, slots: [Int], at: Int64) -> Announcement {
        Announcement("visits.tested", [
            "household": .string(household), "building": .string(WalkingOrder.building(of: household)),
            "residents": .array(slots.map { .number($0) }), "at": .string(ValueParser.iso8601(at)),
        ])
    }
}

extension VisitsState {
    /// The numbers `names` of `household` have (or get, in this order, when first tested).
    func slots(_ household: String, _ names: [String]) -> [Int] {
        var next = slotCount[household] ?? 0
        var given: [String: Int] = [:]
        return names.map { name in
            if let s = residentSlots[household + "/" + name] ?? given[name] { return s }
            next += 1
            given[name] = next
            return next
        }
    }
}
