/// Chinese words for what a text reply shows in English: the keys of its data (labels of
/// `key: value` lines and table headers) and its common final lines.
///
/// Used on a `hello lang=zh-CN` connection only. JSON keys never change (scripts read them);
/// a key or message without an entry is shown as it is, so a plugin without words still works.
public struct Glossary: Sendable {
    /// JSON key → its label (`household` → `户号`).
    public private(set) var labels: [String: String]
    /// A whole final line → its translation (`ok` → `完成`), for messages without ``Reply/zh(_:)``.
    public private(set) var messages: [String: String]

    public init(labels: [String: String] = [:], messages: [String: String] = [:]) {
        self.labels = labels
        self.messages = messages
    }

    /// The label for `key`, or `key` itself.
    @inline(__always) public func label(_ key: String) -> String { labels[key] ?? key }

    /// The final line of `reply` in Chinese: its own translation, a glossary entry, or English.
    public func message(of reply: Reply) -> String { reply.messageZh ?? messages[reply.message] ?? reply.message }

    /// This glossary with `more`'s entries added; on a clash the entry already here stays (the
    /// core's words come first, so a plugin cannot rename a shared key for everyone).
    public func adding(_ more: [String: String]) -> Glossary {
        var copy = self
        copy.labels.merge(more) { kept, _ in kept }
        return copy
    }

    /// This glossary without labels for `keys` (names that are data as well as keys).
    public func removing(_ keys: Set<String>) -> Glossary {
        var copy = self
        for key in keys { copy.labels[key] = nil }
        return copy
    }
}
