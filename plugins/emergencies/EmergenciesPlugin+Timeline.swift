import HooksInterface
import PluginAPI
import PluginSupport
import RosterInterface

/// The record of who did what when: the timeline of one incident with the hooks' outcomes, the
/// list of incidents, and the figures (per incident, and for a day in the report).
extension EmergenciesPlugin {
    /// Seconds from the call to: acknowledgement, ambulance called, gate open, close.
    struct Figures {
        var ack: Int64?
        var ambulance: Int64?
        var gate: Int64?
        var close: Int64?
    }

    func figures(_ i: Incident) -> Figures {
        Figures(ack: i.ackedAt.map { $0 - i.at }, ambulance: i.done[settings.ambulanceStep].map { $0 - i.at },
                gate: i.done[settings.gateStep].map { $0 - i.at }, close: i.closedAt.map { $0 - i.at })
    }

    func figuresJSON(_ i: Incident) -> JSON {
        let f = figures(i)
        let n: (Int64?) -> JSON = { $0.map { .number(Int($0)) } ?? .null }
        return ["ack_s": n(f.ack), "ambulance_s": n(f.ambulance), "gate_s": n(f.gate), "close_s": n(f.close)]
    }

    /// `ack 6m 00s, ambulance 1m 00s, gate 9m 00s, close 50m 00s` (`-` for what has not happened).
    func figuresText(_ i: Incident) -> String {
        let f = figures(i)
        let t: (Int64?) -> String = { $0.map(Text.duration) ?? "-" }
        return "to ack 确认 \(t(f.ack)), ambulance called 叫车 \(t(f.ambulance)), gate open 开门 \(t(f.gate)), close 结案 \(t(f.close))"
    }

    // MARK: show

    func show(_ id: Int, full: Bool) async throws -> Reply {
        let first = try incident(id)
        let summary = first.known ? await roster?.household(first.household) : nil
        let briefing = await briefing(household: first.household, building: first.building, summary: summary, at: now())
        let seqs = first.timeline.compactMap(\.seq)
        let runs = seqs.isEmpty ? [] : await hookRuns?.runs(seqs: seqs) ?? []
        // After the awaits: the incident as it is now.
        let incident = state.incidents[id] ?? first
        var (head, block) = intake(incident, briefing, full: full)
        let rows = incident.timeline.enumerated().map { n, e in timelineRow(n + 1, e, incident, runs: runs, full: full) }
        var fields = head.objectFields ?? []
        fields.insert(("status", .string(incident.status)), at: 1)
        fields += [
            ("acknowledged", incident.ackedAt.map { .string(ValueParser.iso8601($0)) } ?? .null),
            ("acknowledged_by", .optional(incident.ackedBy?.shown)),
            ("closed", incident.closedAt.map { .string(ValueParser.iso8601($0)) } ?? .null),
            ("outcome", .optional(incident.outcome)), ("hospital", .optional(incident.hospital)),
            ("left_open", .array((incident.leftOpen ?? []).map(JSON.string))),
            ("timeline", .array(rows.map(\.json))), ("figures", figuresJSON(incident)),
        ]
        if let closed = incident.closedAt {
            block.pairs([("结案 closed", ValueParser.display(closed) + " by " + (incident.closedBy?.shown ?? "?") + ": "
                + (incident.outcome ?? "?") + (Outcome(rawValue: incident.outcome ?? "").map { " \($0.zh)" } ?? "")
                + (incident.hospital.map { ", \($0)" } ?? "")
                + ((incident.leftOpen ?? []).isEmpty ? "" : "; !! forced, not done: " + incident.leftOpen!.joined(separator: ", ")))])
        }
        block.line("时间线 timeline (\(CommunityZoneName.offset(incident.at))):")
        block.table(["#", "time", "what", "by", "detail", "hook"], rows.map(\.cells))
        block.pairs([("用时 figures", figuresText(incident))])
        return Reply(data: .object(fields), lines: block.lines,
                     message: "incident \(id): \(incident.status), \(incident.timeline.count) entries")
    }

    struct TimelineRow {
        var json: JSON
        var cells: [String]
    }

    func timelineRow(_ n: Int, _ e: Entry, _ incident: Incident, runs: [HookRunSummary], full: Bool) -> TimelineRow {
        var what: String
        var detail: [String] = []
        switch e.what {
        case .opened:
            let k = label(kind: incident.kind)
            what = "opened 接警 \(k.zh) \(k.en)"
            if let t = e.text { detail.append(full ? t : "***") }
        case .step:
            let s = label(step: e.step ?? "")
            what = "\(e.step ?? "?") \(s.zh)"
            if case let before = incident.outOfOrder(e.step ?? ""), !before.isEmpty {
                detail.append("!! out of order 顺序不对: before \(before.joined(separator: ", "))")
            }
            if let t = e.text { detail.append(full ? t : "***") }
        case .acknowledged:
            what = "acknowledged 确认"
        case .escalated:
            what = "escalated 升级 \(e.level ?? 0)/\(e.of ?? 0) → \(e.target ?? "?")"
        case .paged:
            what = "paged 呼叫 \(e.step ?? "")"
        case .note:
            what = "note 备注"
            if let t = e.text { detail.append(full ? t : "***") }
        case .closed:
            what = "closed 结案 \(incident.outcome ?? "")"
            if let h = incident.hospital { detail.append(h) }
            if let left = incident.leftOpen, !left.isEmpty { detail.append("!! forced, not done: \(left.joined(separator: ", "))") }
            if let t = e.text { detail.append(full ? t : "***") }
        }
        if let r = e.reached {
            if let nobody = r.nobody {
                detail.append("!! nobody reached: \(nobody)" + (e.what == .escalated ? " (skipped)" : ""))
            } else {
                detail.append([r.gate, r.name, Phone.shown(r.phone, full: full)].compactMap { $0 }.joined(separator: " "))
            }
        }
        if e.late == true { detail.append("late: due while doorstepd was down, fired at start") }
        let mine = e.seq.map { seq in runs.filter { $0.seq == seq } } ?? []
        let hook = mine.map { r in
            r.hook + " " + r.outcome + (r.exit.map { $0 == 0 || r.outcome == "ok" ? "" : " (exit \($0))" } ?? "")
                + (r.nextAt.map { " retry \(Text.clock($0))" } ?? "")
        }.joined(separator: ", ")
        let hookJSON: JSON = e.seq == nil ? .null : .array(mine.map { r in
            ["hook": .string(r.hook), "outcome": .string(r.outcome), "attempts": .number(r.attempts),
             "exit": r.exit.map { .number($0) } ?? .null, "at": .string(ValueParser.iso8601(r.at)),
             "next": r.nextAt.map { .string(ValueParser.iso8601($0)) } ?? .null]
        })
        let by = e.by?.shown ?? "-"
        let json: JSON = ["n": .number(n), "at": .string(ValueParser.iso8601(e.at)), "what": .string(e.what.rawValue),
                          "step": .optional(e.step), "label": .string(what), "by": .string(by),
                          "detail": .string(detail.joined(separator: "; ")), "out_of_order": .bool(e.what == .step && !incident.outOfOrder(e.step ?? "").isEmpty),
                          "seq": e.seq.map { .number(Int($0)) } ?? .null, "hook": hookJSON]
        let hookCell = e.seq == nil ? "-" : (hook.isEmpty ? (hookRuns == nil ? "hooks not running" : "no hook") : hook)
        let time = ValueParser.localDate(e.at) == ValueParser.localDate(incident.at) ? Text.clock(e.at) : ValueParser.display(e.at)
        return TimelineRow(json: json, cells: ["\(n)", time, what, by, detail.isEmpty ? "-" : detail.joined(separator: "; "),
                                               hookCell])
    }

    // MARK: list

    func list(which: String?, date: String?) throws -> Reply {
        let now = now()
        var picked = state.incidents.values.sorted { $0.id < $1.id }
        var what = which ?? (date == nil ? "open" : "all")
        if date != nil || which == "today" {
            let (start, end) = try ValueParser.localDay(which == "today" ? nil : date, now: now)
            picked = picked.filter { $0.at >= start && $0.at < end }
            what = "\(ValueParser.localDate(start))" + (which == "open" ? " open" : "")
        }
        if which == "open" || (which == nil && date == nil) { picked = picked.filter(\.isOpen) }
        let rows: [JSON] = picked.map { i in
            var flags: [String] = []
            if !i.known { flags.append("unknown-household") }
            if i.outOfOrder { flags.append("out-of-order") }
            if i.forced == true { flags.append("forced") }
            let k = label(kind: i.kind)
            return ["id": .number(i.id), "at": .string(ValueParser.iso8601(i.at)), "kind": .string(i.kind), "label": .string(k.zh),
                    "household": .string(i.household), "status": .string(i.status),
                    "steps": .string("\(i.checklist.count - i.remaining.count)/\(i.checklist.count)"),
                    "escalated": .number(i.escalated), "flags": .string(flags.isEmpty ? "-" : flags.joined(separator: ","))]
        }
        return Reply(data: .array(rows), message: "\(rows.count) incidents (\(what))")
    }

    // MARK: report

    func report(date: String?) throws -> Reply {
        let (start, end) = try ValueParser.localDay(date, now: now())
        let day = state.incidents.values.filter { $0.at >= start && $0.at < end }.sorted { $0.id < $1.id }
        var byKind: [(String, JSON)] = []
        for k in settings.kindOrder { byKind.append((k, .number(day.filter { $0.kind == k }.count))) }
        for k in Set(day.map(\.kind)).subtracting(settings.kindOrder).sorted() { byKind.append((k, .number(day.filter { $0.kind == k }.count))) }
        var byOutcome: [(String, JSON)] = Outcome.allCases.map { o in (o.rawValue, .number(day.filter { $0.outcome == o.rawValue }.count)) }
        byOutcome.append(("open", .number(day.filter(\.isOpen).count)))
        let all = day.map(figures)
        func stats(_ values: [Int64]) -> JSON {
            let sorted = values.sorted()
            let median: JSON = sorted.isEmpty ? .null
                : .number(Int(sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2))
            return ["count": .number(sorted.count), "median_seconds": median, "max_seconds": sorted.last.map { .number(Int($0)) } ?? .null]
        }
        let rows: [JSON] = day.map { i in
            let f = figures(i)
            let n: (Int64?) -> JSON = { $0.map { .number(Int($0)) } ?? .null }
            return ["id": .number(i.id), "kind": .string(i.kind), "household": .string(i.household),
                    "outcome": .string(i.outcome ?? "open"), "ack_s": n(f.ack), "ambulance_s": n(f.ambulance), "gate_s": n(f.gate),
                    "close_s": n(f.close)]
        }
        return Reply(data: [
            "date": .string(ValueParser.localDate(start)), "incidents": .number(day.count), "by_kind": .object(byKind),
            "by_outcome": .object(byOutcome), "open": .number(day.filter(\.isOpen).count),
            "unknown_households": .number(day.filter { !$0.known }.count), "out_of_order": .number(day.filter(\.outOfOrder).count),
            "escalated": .number(day.filter { $0.escalated > 0 }.count), "forced_closes": .number(day.filter { $0.forced == true }.count),
            "figures": [
                "ack": stats(all.compactMap(\.ack)), "ambulance": stats(all.compactMap(\.ambulance)),
                "gate": stats(all.compactMap(\.gate)), "close": stats(all.compactMap(\.close)),
            ],
            "rows": .array(rows),
        ], message: "emergencies on \(ValueParser.localDate(start)): \(day.count) incidents")
    }
}

/// The zone's offset, for the heading of a timeline whose rows show local clock times.
enum CommunityZoneName {
    /// `Asia/Shanghai +08:00`.
    static func offset(_ t: Int64) -> String {
        let shown = ValueParser.display(t)
        return CommunityZone.current.description + " " + (shown.split(separator: " ").last.map(String.init) ?? "")
    }
}
