/// Writes replies and events in the connection's format (docs/protocol.md §3–5).
public enum ReplyEncoder {
    /// The whole reply as one string of `\n`-terminated lines, so it is written in one piece
    /// and an event can never land inside it.
    /// With a ``Glossary`` (a `lang=zh-CN` connection) messages are in Chinese where there is a
    /// translation, and text keys and table headers are its labels; JSON keys never change.
    public static func encode(_ result: Result<Reply, ControlError>, tag: String?, format: ReplyFormat,
                              glossary: Glossary? = nil) -> String {
        switch format {
        case .json: return json(result, tag: tag, glossary: glossary) + "\n"
        case .text: return text(result, tag: tag, glossary: glossary)
        }
    }

    static func text(_ result: Result<Reply, ControlError>, tag: String?, glossary: Glossary?) -> String {
        let prefix = tag.map { "@\($0) " } ?? ""
        switch result {
        case .success(let reply):
            let code = String(reply.code)
            var sink = TextLines(lead: prefix + code + "-")
            if let lines = reply.lines {
                for line in lines {
                    sink.start(indent: 0)
                    sink.text(line)
                    sink.end()
                }
            } else {
                TextRenderer.render(reply.data, into: &sink, glossary: glossary)
            }
            sink.out += prefix + code + " "
            sink.text(glossary?.message(of: reply) ?? reply.message)
            sink.end()
            return sink.out
        case .failure(let error):
            var sink = TextLines(lead: "")
            sink.out += prefix + String(error.code) + " " + error.name + ": "
            sink.text(error.message(chinese: glossary != nil))
            sink.end()
            return sink.out
        }
    }

    static func json(_ result: Result<Reply, ControlError>, tag: String?, glossary: Glossary?) -> String {
        var out = "{\"tag\":"
        if let tag { JSON.appendQuoted(tag, to: &out) } else { out += "null" }
        switch result {
        case .success(let reply):
            out += ",\"ok\":true,\"code\":" + String(reply.code) + ",\"data\":"
            reply.data.serialize(into: &out)
        case .failure(let error):
            out += ",\"ok\":false,\"code\":" + String(error.code) + ",\"error\":"
            JSON.appendQuoted(error.name, to: &out)
            out += ",\"message\":"
            JSON.appendQuoted(error.message(chinese: glossary != nil), to: &out)
        }
        return out + "}"
    }

    /// One event line in the connection's format.
    public static func event(name: String, seq: UInt64, time: String, data: JSON, format: ReplyFormat) -> String {
        switch format {
        case .text:
            return "600 " + name + " " + String(seq) + " " + data.serialized + "\n"
        case .json:
            var out = "{\"event\":"
            JSON.appendQuoted(name, to: &out)
            out += ",\"seq\":" + String(seq) + ",\"time\":"
            JSON.appendQuoted(time, to: &out)
            out += ",\"data\":"
            data.serialize(into: &out)
            return out + "}\n"
        }
    }
}
