import PluginAPI
import PluginSupport

/// Online events (线上活动): a lecture, a quiz, a course, with capacity, a waitlist promoted in
/// order, a reminder before the start, and attendance afterwards.
extension ReadingPromotionPlugin {
    func existingEvent(_ id: Int) throws(ControlError) -> OnlineEvent {
        guard let e = state.events[id] else {
            throw .notFound("event \(id) does not exist" + (state.nextEvent > 1 ? " (events are 1 to \(state.nextEvent - 1))" : ""))
        }
        return e
    }

    func addEvent(_ request: Request) async throws -> Reply {
        let title = try Self.line(try request[ReadingArgs.eventTitle], "title")
        let at = try future(try request[ReadingArgs.eventAt], request.text(ReadingArgs.eventAt), argument: "at")
        let duration = (try request[ReadingArgs.duration]).components.seconds
        guard duration >= 60, duration <= 7 * 86_400 else { throw ControlError.invalidArgument("argument 'duration': expected 1m to 7d") }
        let channel = try (try request[ReadingArgs.eventChannel]).map { try self.channel(named: $0).id }
        let link = try (try request[ReadingArgs.link]).map { try Self.url($0, "link") }
        let audience = try (try request[ReadingArgs.audience]).map { try Self.line($0, "audience", max: 64) }
        let remind = (try request[ReadingArgs.remind]).map { $0.components.seconds } ?? settings.reminderLead
        guard remind <= 7 * 86_400 else { throw ControlError.invalidArgument("argument 'remind': expected at most 7d") }
        let event = OnlineEvent(id: state.nextEvent, title: title, at: at, duration: duration, capacity: try request[ReadingArgs.capacity],
                                audience: audience, channel: channel, link: link, waitlist: try request[ReadingArgs.waitlist] ?? settings.waitlist,
                                remind: remind, createdAt: now())
        let seq = try await record(EventAdded(event: event), announcing: [Announcement("reading.event.added", [
            "event": .number(event.id), "title": .string(title), "at": .string(ValueParser.iso8601(at)), "capacity": .number(event.capacity),
        ])])
        doorbell.ring()
        return Reply(data: ["id": .number(event.id), "at": .string(ValueParser.iso8601(at)), "ends": .string(ValueParser.iso8601(event.ends)),
                            "capacity": .number(event.capacity), "waitlist": .bool(event.waitlist),
                            "remind_at": event.remindAt.map { .string(ValueParser.iso8601($0)) } ?? .null, "seq": .number(seq)],
                     lines: [], message: "event \(event.id) \(title) at \(ValueParser.display(at)), \(event.capacity) places"
                        + (event.waitlist ? " and a waitlist" : ", no waitlist"))
    }

    func eventStatus(_ e: OnlineEvent, now: Int64) -> String {
        if e.cancelledAt != nil { return "cancelled" }
        if now >= e.ends { return "past" }
        if now >= e.at { return "running" }
        return e.registered >= e.capacity ? "full" : "open"
    }

    func eventRow(_ e: OnlineEvent, now: Int64) -> JSON {
        ["id": .number(e.id), "title": .string(e.title), "at": .string(ValueParser.iso8601(e.at)), "ends": .string(ValueParser.iso8601(e.ends)),
         "capacity": .number(e.capacity), "registered": .number(e.registered), "waitlisted": .number(e.waitlisted),
         "attendance": .number(e.attendance), "status": .string(eventStatus(e, now: now))]
    }

    func listEvents(_ request: Request) throws -> Reply {
        let status = try request[ReadingArgs.eventStatus] ?? "all"
        let range = try Self.range(from: try request[ReadingArgs.from], to: try request[ReadingArgs.to])
        let now = now()
        let events = state.events.values.filter { e in
            guard e.at >= range.from, e.at < range.to else { return false }
            switch status {
            case "upcoming": return e.cancelledAt == nil && now < e.ends
            case "past": return e.cancelledAt == nil && now >= e.ends
            case "cancelled": return e.cancelledAt != nil
            default: return true
            }
        }.sorted { ($0.at, $0.id) < ($1.at, $1.id) }
        return Reply(data: .array(events.map { eventRow($0, now: now) }), message: "\(events.count) events")
    }

    func registrationJSON(_ r: Registration, full: Bool) -> JSON {
        ["no": .number(r.no), "name": .string(full ? r.name : Self.maskName(r.name)),
         "contact": .string(full ? r.contact : Self.maskContact(r.contact)), "status": .string(r.status.rawValue),
         "registered_at": .string(ValueParser.iso8601(r.at)), "promoted_at": r.promotedAt.map { .string(ValueParser.iso8601($0)) } ?? .null,
         "attended": .bool(r.attended)]
    }

    func showEvent(_ id: Int, full: Bool) throws -> Reply {
        let e = try existingEvent(id)
        guard case .object(var fields) = eventRow(e, now: now()) else { return Reply() }
        fields += [("audience", .optional(e.audience)), ("channel", .optional(e.channel)), ("link", .optional(e.link)),
                   ("waitlist", .bool(e.waitlist)), ("remind_at", e.remindAt.map { .string(ValueParser.iso8601($0)) } ?? .null),
                   ("reminded_at", e.remindedAt.map { .string(ValueParser.iso8601($0)) } ?? .null),
                   ("cancel_reason", .optional(e.cancelReason)),
                   ("registrations", .array(e.registrations.map { registrationJSON($0, full: full) }))]
        return Reply(data: .object(fields), message: "event \(id): \(e.registered)/\(e.capacity) registered, \(e.waitlisted) waitlisted")
    }

    func register(_ request: Request) async throws -> Reply {
        let id = try request[ReadingArgs.eventID]
        let e = try existingEvent(id)
        let name = try Self.line(try request[ReadingArgs.name], "name", max: 64)
        let contact = try Self.line(try request[ReadingArgs.contact], "contact", max: 64)
        let key = Self.contactKey(contact)
        guard !key.isEmpty else { throw ControlError.invalidArgument("argument 'contact': '\(ValueParser.shown(contact))' has no digits or letters") }
        let now = now()
        if e.cancelledAt != nil { throw ControlError.conflict("event \(id) was cancelled (\(e.cancelReason ?? "")); nobody registers") }
        if now >= e.ends { throw ControlError.conflict("event \(id) ended at \(ValueParser.display(e.ends)); nobody registers") }
        if let twice = e.registrations.first(where: { $0.key == key && $0.status != .cancelled }) {
            throw ControlError.conflict("that contact is already registered for event \(id) (registration \(twice.no), \(twice.status.rawValue))")
        }
        let full = e.registered >= e.capacity
        if full, !e.waitlist {
            throw ControlError.conflict("event \(id) is full (\(e.registered) of \(e.capacity)) and takes no waitlist")
        }
        let no = (e.registrations.map(\.no).max() ?? 0) + 1
        let registration = Registration(no: no, name: name, contact: contact, key: key, status: full ? .waitlisted : .registered, at: now)
        let seq = try await record(Registered(event: id, registration: registration), announcing: [Announcement("reading.event.registered", [
            "event": .number(id), "registration": .number(no), "status": .string(registration.status.rawValue),
            "registered": .number(e.registered + (full ? 0 : 1)), "waitlisted": .number(e.waitlisted + (full ? 1 : 0)),
        ])])
        let position = full ? e.waitlisted + 1 : nil
        return Reply(data: ["event": .number(id), "registration": .number(no), "status": .string(registration.status.rawValue),
                            "position": position.map { .number($0) } ?? .null, "seq": .number(seq)], lines: [],
                     message: full ? "\(name) is number \(position!) on the waitlist of event \(id) (\(e.capacity) places taken)"
                        : "\(name) registered for event \(id) (\(e.registered + 1) of \(e.capacity))")
    }

    func unregister(_ request: Request) async throws -> Reply {
        let id = try request[ReadingArgs.eventID]
        let e = try existingEvent(id)
        let key = Self.contactKey(try request[ReadingArgs.contact])
        guard let r = e.registrations.first(where: { $0.key == key && $0.status != .cancelled }) else {
            throw ControlError.notFound("that contact has no registration for event \(id)")
        }
        let now = now()
        if e.cancelledAt != nil { throw ControlError.conflict("event \(id) was cancelled") }
        if now >= e.at { throw ControlError.conflict("event \(id) started at \(ValueParser.display(e.at)); registrations no longer change") }
        // Who takes the place: the first on the waitlist (as apply does).
        let promoted = r.status == .registered ? e.registrations.first(where: { $0.status == .waitlisted }) : nil
        var announcing = [Announcement("reading.event.unregistered", ["event": .number(id), "registration": .number(r.no)])]
        if let p = promoted { announcing.append(Announcement("reading.event.promoted", ["event": .number(id), "registration": .number(p.no)])) }
        let seq = try await record(Unregistered(event: id, no: r.no, at: now), announcing: announcing)
        return Reply(data: ["event": .number(id), "registration": .number(r.no), "promoted": promoted.map { .number($0.no) } ?? .null,
                            "seq": .number(seq)], lines: [],
                     message: "registration \(r.no) withdrawn from event \(id)" + (promoted.map { "; \($0.name) moves up from the waitlist" } ?? ""))
    }

    func cancelEvent(_ id: Int, reason: String) async throws -> Reply {
        let e = try existingEvent(id)
        if e.cancelledAt != nil { throw ControlError.conflict("event \(id) is already cancelled") }
        if now() >= e.ends { throw ControlError.conflict("event \(id) ended at \(ValueParser.display(e.ends))") }
        let reason = try Self.line(reason, "reason")
        let seq = try await record(EventCancelled(event: id, reason: reason, at: now()),
                                   announcing: [Announcement("reading.event.cancelled", ["event": .number(id), "registered": .number(e.registered)])])
        return Reply(data: ["event": .number(id), "status": "cancelled", "seq": .number(seq)], lines: [],
                     message: "event \(id) cancelled; \(e.registered + e.waitlisted) registrants to tell")
    }

    func attended(_ request: Request) async throws -> Reply {
        let id = try request[ReadingArgs.eventID]
        let e = try existingEvent(id)
        let names = (try request[ReadingArgs.names]).map { $0.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "、" }).map { $0.trimmingWhitespace } } ?? []
        let count = try request[ReadingArgs.count]
        guard !names.isEmpty || count != nil else {
            throw ControlError.missingArgument("give names=A,B (registrants who attended) or count=N (how many attended)")
        }
        if e.cancelledAt != nil { throw ControlError.conflict("event \(id) was cancelled") }
        if now() < e.at { throw ControlError.conflict("event \(id) starts at \(ValueParser.display(e.at)); attendance is recorded after the start") }
        var nos: [Int] = []
        var unknown: [String] = []
        for name in names {
            let matches = e.registrations.filter { $0.name == name && $0.status != .cancelled }
            if matches.isEmpty { unknown.append(name) } else { nos += matches.map(\.no) }
        }
        guard unknown.isEmpty else {
            throw ControlError.notFound("event \(id) has no registration named " + unknown.map(ValueParser.shown).joined(separator: ", "))
        }
        let marked = Set(nos)
        let attendance = count ?? e.registrations.filter { $0.attended || marked.contains($0.no) }.count
        let seq = try await record(Attended(event: id, nos: nos, count: count, at: now()),
                                   announcing: [Announcement("reading.event.attended", ["event": .number(id), "attendance": .number(attendance)])])
        return Reply(data: ["event": .number(id), "attended": .array(names.map { .string($0) }), "attendance": .number(attendance),
                            "seq": .number(seq)], lines: [], message: "event \(id): attendance \(attendance)")
    }

    // MARK: Invitations

    func addInvite(_ request: Request) async throws -> Reply {
        let name = try Self.line(try request[ReadingArgs.name], "name", max: 64)
        let contact = try Self.line(try request[ReadingArgs.contact], "contact", max: 64)
        let key = Self.contactKey(contact)
        guard !key.isEmpty else { throw ControlError.invalidArgument("argument 'contact': '\(ValueParser.shown(contact))' has no digits or letters") }
        if let twice = state.invites.values.first(where: { $0.key == key }) {
            throw ControlError.conflict("that contact already pledged to come (invitation \(twice.id))")
        }
        let note = try (try request[ReadingArgs.note]).map { try Self.line($0, "note", max: 500) }
        let invite = Invite(id: state.nextInvite, name: name, contact: contact, key: key, note: note,
                            at: try request[ReadingArgs.inviteAt] ?? now(), by: request.caller.uid)
        let seq = try await record(InviteAdded(invite: invite), announcing: [Announcement("reading.invite.added", ["id": .number(invite.id)])])
        return Reply(data: ["id": .number(invite.id), "seq": .number(seq)], lines: [],
                     message: "invitation \(invite.id): \(name) will come when the library reopens (\(state.invites.count) so far)")
    }

    func invites(full: Bool) -> Reply {
        let rows: [JSON] = state.invites.values.sorted { ($0.at, $0.id) < ($1.at, $1.id) }.map { i in
            ["id": .number(i.id), "name": .string(full ? i.name : Self.maskName(i.name)),
             "contact": .string(full ? i.contact : Self.maskContact(i.contact)), "note": .optional(i.note.map { full ? $0 : "***" }),
             "at": .string(ValueParser.iso8601(i.at))]
        }
        return Reply(data: .array(rows), message: "\(rows.count) invitations")
    }

    /// `reading.invites.export format=csv`: `data.csv` is the file exactly (UTF-8 BOM, CRLF), as
    /// `roster.export` writes it; the text lines are its lines, the first with the BOM.
    func exportInvites(chinese: Bool) -> Reply {
        let header = chinese ? ["编号", "姓名", "联系方式", "留言", "登记时间"] : ["id", "name", "contact", "note", "registered"]
        var lines = [header.joined(separator: ",")]
        for i in state.invites.values.sorted(by: { ($0.at, $0.id) < ($1.at, $1.id) }) {
            let when = String(ValueParser.display(i.at).prefix(16))
            lines.append([String(i.id), i.name, i.contact, i.note ?? "", when].map(CSV.field).joined(separator: ","))
        }
        let csv = "\u{FEFF}" + lines.map { $0 + "\r\n" }.joined()
        lines[0] = "\u{FEFF}" + lines[0]
        return Reply(data: ["csv": .string(csv), "count": .number(state.invites.count), "headers": .string(chinese ? "zh" : "en")],
                     lines: lines, message: "\(state.invites.count) invitations")
    }
}
