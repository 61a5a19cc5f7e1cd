import PluginAPI
import PluginSupport

extension StateStore {
    /// The durable events as JSON objects for other tools (`state.export`).
    func export(plugin: String?, after: UInt64, limit: Int) throws -> [JSON] {
        let upTo = journal.currentStats.durableSeq
        var out: [JSON] = []
        try forEachRecord(upTo: upTo) { event in
            guard out.count < limit, event.seq > after, plugin == nil || event.plugin == plugin else { return }
            var fields: [(String, JSON)] = [
                ("seq", .number(event.seq)), ("time", .string(ValueParser.iso8601(event.time))), ("plugin", .string(event.plugin)),
                ("type", .string(event.type)), ("version", .number(event.version)),
                // A record of an event published on its own (plugin `@id`) holds no state.
                ("data", event.payload.isEmpty ? .null : .raw(String(decoding: event.payload, as: UTF8.self))),
            ]
            if !event.announced.isEmpty { fields.append(("events", .raw(String(decoding: event.announced, as: UTF8.self)))) }
            out.append(.object(fields))
        }
        return out
    }
}
