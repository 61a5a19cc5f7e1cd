import PluginSupport

/// Declares one command: its name, arguments, role and help, so the host can validate
/// requests, answer `help` and `commands`, and check access before the plugin sees anything.
public struct CommandSpec: Sendable {
    /// Full name, `plugin.verb` (core commands have no dot).
    public var name: String
    /// One-line summary for `help`.
    public var summary: String
    /// Role needed to run it.
    public var role: Role
    /// Arguments in order; positional ones are matched in this order.
    public var arguments: [ArgumentSpec]
    /// Whether the command takes a heredoc body (`<<WORD`).
    public var body: BodyUse
    /// How the body reaches the handler: checked UTF-8 text (``Request/body``), or the bytes as
    /// received (``Request/bodyBytes``) for a command that reads other encodings itself.
    public var bodyEncoding: BodyEncoding
    /// Whether the command changes state (for audit and, later, the journal).
    public var mutates: Bool
    /// One request that runs it, for `help` (nil: made from the usage, ``exampleLine``).
    public var example: String?
    /// The summary in Chinese, for `help` on a `lang=zh-CN` connection (nil: the English one).
    public var summaryZh: String?

    public init(
        _ name: String, summary: String, role: Role = .viewer, arguments: [ArgumentSpec] = [],
        body: BodyUse = .none, bodyEncoding: BodyEncoding = .utf8, mutates: Bool = false
    ) {
        self.name = name
        self.summary = summary
        self.role = role
        self.arguments = arguments
        self.body = body
        self.bodyEncoding = bodyEncoding
        self.mutates = mutates
    }

    /// Usage line, e.g. `visits.record HOUSEHOLD outcome=answered|… [note=TEXT]`.
    public var usage: String {
        var parts = [name]
        for arg in arguments {
            var word: String
            switch arg.kind {
            case .positional: word = arg.name.uppercased()
            case .named: word = arg.name + "=" + arg.type.placeholder
            }
            if arg.variadic { word += "…" }
            parts.append(arg.required ? word : "[" + word + "]")
        }
        if body != .none { parts.append(body == .required ? "<<WORD" : "[<<WORD]") }
        return parts.joined(separator: " ")
    }
}

/// Whether a command reads a heredoc body.
public enum BodyUse: String, Sendable {
    case none
    case optional
    case required
}

/// How a command takes its heredoc body.
public enum BodyEncoding: String, Sendable {
    /// UTF-8 text: the host refuses any other bytes (`415 invalid_utf8`) before the plugin sees
    /// them, drops a CR before each LF, and hands the text over as ``Request/body``.
    case utf8
    /// Bytes, exactly as received (CRs kept), as ``Request/bodyBytes``: for a command that
    /// detects and converts encodings itself (a spreadsheet's CSV in GB18030 or UTF-16).
    case bytes
}

/// One argument of a command.
public struct ArgumentSpec: Sendable {
    /// How the argument is written.
    public enum Kind: String, Sendable {
        /// By position.
        case positional
        /// As `name=value`.
        case named
    }

    public var name: String
    public var kind: Kind
    public var type: ArgumentType
    public var required: Bool
    /// A positional argument that takes all remaining positional words.
    public var variadic: Bool
    public var summary: String
    /// Whether the value carries personal, health or financial data (``Parameter/sensitive(_:)``):
    /// listed by `commands`, redacted by audit and export.
    public var sensitivity: Sensitivity?

    public init(
        _ name: String, kind: Kind = .named, type: ArgumentType = .string, required: Bool = false,
        variadic: Bool = false, summary: String = ""
    ) {
        self.name = name
        self.kind = kind
        self.type = type
        self.required = required
        self.variadic = variadic
        self.summary = summary
    }

    /// A positional argument.
    public static func positional(
        _ name: String, _ type: ArgumentType = .string, required: Bool = true, variadic: Bool = false,
        summary: String = ""
    ) -> ArgumentSpec {
        ArgumentSpec(name, kind: .positional, type: type, required: required, variadic: variadic, summary: summary)
    }

    /// A `name=value` argument.
    public static func named(
        _ name: String, _ type: ArgumentType = .string, required: Bool = false, summary: String = ""
    ) -> ArgumentSpec {
        ArgumentSpec(name, kind: .named, type: type, required: required, summary: summary)
    }
}

/// The type of an argument's value; the host checks it before the plugin is called.
public enum ArgumentType: Sendable, Equatable {
    case string
    case int(min: Int? = nil, max: Int? = nil)
    case bool
    case choice([String])
    /// `90`, `90s`, `5m`, `2h`, `1d`.
    case duration
    /// ISO-8601 date or date-time, or `now`.
    case time
    /// When something happened: a ``time`` no later than the request's clock (plus a few
    /// minutes of skew), or `now`. Checked by the host, so no plugin records the future.
    case pastTime
    /// An event pattern (`visits.*`).
    case pattern

    /// The type's name in `commands`.
    public var name: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .bool: return "bool"
        case .choice: return "enum"
        case .duration: return "duration"
        case .time, .pastTime: return "time"
        case .pattern: return "pattern"
        }
    }

    /// How the value is shown in usage lines.
    public var placeholder: String {
        switch self {
        case .choice(let values): return values.joined(separator: "|")
        case .int: return "N"
        case .bool: return "true|false"
        default: return name.uppercased()
        }
    }
}

extension ArgumentType {
    /// Why `value` is not a valid `type`, or nil when it is.
    public func problem(with value: String) -> String? {
        switch self {
        case .string, .pattern:
            return nil
        case .int(let lo, let hi):
            guard let v = ValueParser.int(value) else { return "expected an integer, got '\(ValueParser.shown(value))'" }
            if let lo, v < lo { return "expected an integer ≥ \(lo), got \(v)" }
            if let hi, v > hi { return "expected an integer ≤ \(hi), got \(v)" }
            return nil
        case .bool:
            return ValueParser.bool(value) == nil ? "expected true or false, got '\(ValueParser.shown(value))'" : nil
        case .choice(let values):
            return values.contains(value) ? nil : "expected one of \(values.joined(separator: ", ")), got '\(ValueParser.shown(value))'"
        case .duration:
            return ValueParser.duration(value) == nil ? "expected a duration such as 90s, 5m or 2h, got '\(ValueParser.shown(value))'" : nil
        case .time:
            return ValueParser.timeProblem(value).map { "'\(ValueParser.shown(value))' is not a time: \($0) (such as 2022-01-12T04:00+08:00)" }
        case .pastTime:
            return ValueParser.pastTimeProblem(value)
        }
    }

    /// ``problem(with:)`` in Chinese, for a `lang=zh-CN` connection (the time checks' details
    /// stay as ``ValueParser`` words them).
    public func problemZh(with value: String) -> String? {
        let shown = ValueParser.shown(value)
        switch self {
        case .string, .pattern:
            return nil
        case .int(let lo, let hi):
            guard let v = ValueParser.int(value) else { return "应为整数，收到 '\(shown)'" }
            if let lo, v < lo { return "应为不小于 \(lo) 的整数，收到 \(v)" }
            if let hi, v > hi { return "应为不大于 \(hi) 的整数，收到 \(v)" }
            return nil
        case .bool:
            return ValueParser.bool(value) == nil ? "应为 true 或 false，收到 '\(shown)'" : nil
        case .choice(let values):
            return values.contains(value) ? nil : "应为 \(values.joined(separator: "、")) 之一，收到 '\(shown)'"
        case .duration:
            return ValueParser.duration(value) == nil ? "应为时长，如 90s、5m 或 2h，收到 '\(shown)'" : nil
        case .time:
            return ValueParser.timeProblem(value).map { "'\(shown)' 不是时间：\($0)（例如 2022-01-12T04:00+08:00）" }
        case .pastTime:
            return ValueParser.pastTimeProblem(value).map { "时间有误：\($0)" }
        }
    }
}
