/// An error reply: a numeric code, a stable symbolic name and a human message.
///
/// The names and codes are the contract in `docs/protocol.md` §7; scripts branch on `name`.
public struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Three-digit reply code (4xx caller's fault, 5xx daemon's fault).
    public let code: Int
    /// Stable symbolic name, e.g. `not_found`.
    public let name: String
    /// What was wrong and where.
    public let message: String
    /// The message in Chinese, shown on a `hello lang=zh-CN` connection (nil: the English one).
    public private(set) var messageZh: String?

    /// The same error with its message in Chinese (the name and code stay as they are).
    public func zh(_ text: String) -> ControlError {
        var copy = self
        copy.messageZh = text
        return copy
    }

    /// The message in the connection's language.
    public func message(chinese: Bool) -> String { chinese ? messageZh ?? message : message }

    /// Errors are the same when their code, name and English message are: the translation is
    /// presentation.
    public static func == (a: ControlError, b: ControlError) -> Bool {
        a.code == b.code && a.name == b.name && a.message == b.message
    }

    /// Creates an error reply; prefer the static factories, which keep codes and names paired.
    public init(code: Int, name: String, message: String) {
        self.code = code
        self.name = name
        self.message = message
    }

    public var description: String { "\(code) \(name): \(message)" }

    public static func syntax(_ message: String) -> Self { .init(code: 400, name: "syntax_error", message: message) }
    public static func forbidden(_ message: String) -> Self { .init(code: 403, name: "forbidden", message: message) }
    public static func notFound(_ message: String) -> Self { .init(code: 404, name: "not_found", message: message) }
    public static func unknownCommand(_ message: String) -> Self {
        .init(code: 405, name: "unknown_command", message: message)
    }
    public static func idleTimeout(_ message: String) -> Self { .init(code: 408, name: "idle_timeout", message: message) }
    /// A request whose line or body did not arrive whole within `request_timeout`.
    public static func requestTimeout(_ message: String) -> Self { .init(code: 408, name: "request_timeout", message: message) }
    public static func conflict(_ message: String) -> Self { .init(code: 409, name: "conflict", message: message) }
    public static func bodyTooLong(_ message: String) -> Self { .init(code: 413, name: "body_too_long", message: message) }
    public static func lineTooLong(_ message: String) -> Self { .init(code: 414, name: "line_too_long", message: message) }
    public static func invalidUTF8(_ message: String) -> Self { .init(code: 415, name: "invalid_utf8", message: message) }
    public static func missingArgument(_ message: String) -> Self {
        .init(code: 420, name: "missing_argument", message: message)
    }
    public static func invalidArgument(_ message: String) -> Self {
        .init(code: 422, name: "invalid_argument", message: message)
    }
    public static func invalidConfig(_ message: String) -> Self {
        .init(code: 424, name: "invalid_config", message: message)
    }
    public static func tooManyConnections(_ message: String) -> Self {
        .init(code: 429, name: "too_many_connections", message: message)
    }
    public static func internalError(_ message: String) -> Self {
        .init(code: 500, name: "internal_error", message: message)
    }
    public static func unavailable(_ message: String) -> Self { .init(code: 503, name: "unavailable", message: message) }
    public static func storageFull(_ message: String) -> Self { .init(code: 507, name: "storage_full", message: message) }
}
