/// A successful reply: structured data plus, optionally, a hand-made text rendering.
///
/// When `lines` is nil the text format renders `data` generically (key/value lines and
/// CJK-aligned tables), so every command supports both formats without extra work.
public struct Reply: Sendable {
    /// A 2xx code.
    public var code: Int
    /// The structured result, sent as `data` in JSON mode.
    public var data: JSON
    /// Text-mode data lines; nil renders `data`.
    public var lines: [String]?
    /// The text of the final line (`200 ok`).
    public var message: String
    /// The final line in Chinese, on a `hello lang=zh-CN` connection (nil: a ``Glossary``
    /// entry for `message`, else the English one).
    public var messageZh: String?

    public init(code: Int = 200, data: JSON = .null, lines: [String]? = nil, message: String = "ok") {
        self.code = code
        self.data = data
        self.lines = lines
        self.message = message
    }

    /// The same reply with its final line in Chinese.
    public func zh(_ text: String) -> Reply {
        var copy = self
        copy.messageZh = text
        return copy
    }

    /// A reply whose only content is a short message, e.g. `pong`.
    public static func message(_ text: String, data: JSON? = nil) -> Reply {
        Reply(data: data ?? .string(text), lines: [], message: text)
    }
}

/// Output format of a connection, chosen with `hello format=…`.
public enum ReplyFormat: String, Sendable {
    case text
    case json
}
