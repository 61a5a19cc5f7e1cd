/// Writes replies and events in the connection's format (docs/protocol.md §3–5).
public enum ReplyEncoder {
    /// The whole reply as one string of `\n`-terminated lines, so it is written in one piece
    /// and an event can never land inside it.
    public static func encode(_ result: Result<Reply, ControlError>, tag: String?, format: ReplyFormat) -> String {
        switch format {
        case .json: return json(result, tag: tag) + "\n"
        case .text: return text(result, tag: tag)
        }
    }

    static func text(_ result: Result<Reply, ControlError>, tag: String?) -> String {
        let prefix = tag.map { "@\($0) " } ?? ""
        var out = ""
        switch result {
        case .success(let reply):
            let code = String(reply.code)
            for line in reply.lines ?? TextRenderer.lines(for: reply.data) {
                out += prefix + code + "-" + oneLine(line) + "\n"
            }
            out += prefix + code + " " + oneLine(reply.message) + "\n"
        case .failure(let error):
            out += prefix + String(error.code) + " " + error.name + ": " + oneLine(error.message) + "\n"
        }
        return out
    }

    static func json(_ result: Result<Reply, ControlError>, tag: String?) -> String {
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
            JSON.appendQuoted(error.message, to: &out)
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

    /// Keeps a data line on one line and free of terminal control characters: newlines are
    /// shown as `\n`, other control characters (not tab) as `\u{HEX}`.
    static func oneLine(_ s: String) -> String {
        guard s.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else { return s }
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\t"
            default:
                if c.value < 0x20 || c.value == 0x7F {
                    out += "\\u{" + String(c.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }
}
