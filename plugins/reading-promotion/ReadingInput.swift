import Foundation
import PluginAPI
import PluginSupport

/// Checks on what operators type, shared by the commands: each refusal a specific 4xx.
extension ReadingPromotionPlugin {
    /// How far in the past a new time may be (a minute typed as the clock turns).
    static let grace: Int64 = 60

    /// A one-line text: not empty, no control characters, at most `max` characters.
    static func line(_ text: String, _ argument: String, max: Int = 200) throws(ControlError) -> String {
        let v = text.trimmingCharacters(in: .whitespaces)
        guard !v.isEmpty else { throw .invalidArgument("argument '\(argument)' is empty") }
        guard !v.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidArgument("argument '\(argument)' must be one line without control characters")
        }
        guard v.count <= max else { throw .invalidArgument("argument '\(argument)' is \(v.count) characters; at most \(max)") }
        return v
    }

    /// A post's text from the request body: trailing blank lines dropped, never empty.
    static func postBody(_ body: String?) throws(ControlError) -> String {
        var text = body ?? ""
        while let last = text.last, last.isWhitespace { text.removeLast() }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalidArgument("the post has no text: send it as the body (a heredoc <<END … END, or doorstepctl --data FILE)")
        }
        return text
    }

    /// A time for something to come: `now`, or not more than ``grace`` in the past.
    func future(_ t: Int64, _ text: String?, argument: String) throws(ControlError) -> Int64 {
        let now = now()
        if text == "now" { return now }
        guard t >= now - Self.grace else {
            throw .invalidArgument("argument '\(argument)': \(ValueParser.display(t)) is in the past (now \(ValueParser.display(now))); "
                + "give a time to come, or \(argument)=now")
        }
        return max(t, now)
    }

    /// `http://` or `https://`, one word.
    static func url(_ text: String, _ argument: String) throws(ControlError) -> String {
        let v = text.trimmingCharacters(in: .whitespaces)
        guard v.hasPrefix("https://") || v.hasPrefix("http://"), v.count > 8, v.count <= 2048,
            !v.unicodeScalars.contains(where: { $0 == " " || $0.properties.generalCategory == .control })
        else { throw .invalidArgument("argument '\(argument)': '\(ValueParser.shown(v))' is not a URL (https://…)") }
        return v
    }

    /// A channel by id or display name.
    func channel(named text: String) throws(ControlError) -> ChannelConfig {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let c = settings.channel(t) ?? settings.channels.first(where: { $0.name == t }) { return c }
        var message = "unknown channel '\(ValueParser.shown(t))'"
        if settings.channels.isEmpty {
            message += "; no channel is configured ([plugins.reading-promotion.channels.ID] in the config)"
        } else {
            if let close = Suggest.closest(to: [t], among: settings.channels.map(\.id)) { message += " (did you mean \(close)?)" }
            message += "; the channels are " + settings.channels.map { "\($0.id) (\($0.name))" }.joined(separator: ", ")
        }
        throw .notFound(message)
    }

    /// `wechat,weibo,抖音` → channel ids, in order, each once.
    func channels(_ text: String, argument: String = "channels") throws(ControlError) -> [ChannelConfig] {
        var out: [ChannelConfig] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "、" }) {
            let c = try channel(named: String(part))
            guard !out.contains(c) else { throw .invalidArgument("argument '\(argument)': \(c.id) is named twice") }
            out.append(c)
        }
        guard !out.isEmpty else { throw .invalidArgument("argument '\(argument)': name at least one channel") }
        return out
    }

    /// A title and body within every channel's limits; the refusal names the channel.
    static func checkLimits(title: String, body: String, on channels: [ChannelConfig], what: String = "the post") throws(ControlError) {
        for c in channels {
            if let max = c.maxTitle, title.count > max {
                throw .invalidArgument("\(what)'s title is \(title.count) characters; \(c.name) (\(c.id)) takes at most \(max)")
            }
            if let max = c.maxBody, body.count > max {
                throw .invalidArgument("\(what)'s text is \(body.count) characters; \(c.name) (\(c.id)) takes at most \(max)")
            }
        }
    }

    /// `from=` / `to=` as a half-open range: a day (`2022-01-31`) covers that whole day.
    static func range(from: String?, to: String?) throws(ControlError) -> (from: Int64, to: Int64) {
        func bound(_ text: String?, end: Bool) throws(ControlError) -> Int64? {
            guard let text else { return nil }
            if text.count == 10 {
                let day = try ValueParser.localDay(text, now: 0)
                return end ? day.end : day.start
            }
            guard let t = ValueParser.time(text) else { throw .invalidArgument("'\(ValueParser.shown(text))' is not a time") }
            return t
        }
        let lower = try bound(from, end: false) ?? Int64.min
        let upper = try bound(to, end: true) ?? Int64.max
        guard lower < upper else { throw .invalidArgument("argument 'to' is not after 'from'") }
        return (lower, upper)
    }

    /// A contact as compared: letters and digits only, lowercased, full-width folded
    /// (`138 0000 1111`, `138-0000-1111` and `１３８００００１１１１` are one person).
    static func contactKey(_ contact: String) -> String {
        String(contact.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars
            .filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }

    /// What viewers see of a name: its first character (`王*`, `欧阳**` → `欧***`).
    static func maskName(_ name: String) -> String {
        guard let first = name.first else { return "" }
        return String(first) + String(repeating: "*", count: max(1, name.count - 1))
    }

    /// What viewers see of a contact: a phone as `138****5678`, anything else as its first
    /// character and `***`.
    static func maskContact(_ contact: String) -> String {
        let chars = Array(contact)
        if chars.count > 7, chars.allSatisfy({ $0.isNumber || $0 == " " || $0 == "-" || $0 == "+" }) {
            return String(chars.prefix(3)) + String(repeating: "*", count: chars.count - 7) + String(chars.suffix(4))
        }
        guard let first = chars.first else { return "" }
        return String(first) + "***"
    }
}
