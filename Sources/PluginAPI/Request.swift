import PluginSupport

/// Who sent a request, from the kernel's peer credentials.
public struct Caller: Sendable {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    public var role: Role

    public init(uid: UInt32, gid: UInt32, pid: Int32, role: Role) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.role = role
    }
}

/// A validated request for one command (plugins read its arguments through their declared
/// ``Parameter``s: `try request[household]`; the string-keyed getters are the host's own): every value has been checked against the command's
/// ``CommandSpec``, so the typed getters only fail for arguments the spec does not declare.
public struct Request: Sendable {
    /// The full command name.
    public var command: String
    /// Values by argument name (positional arguments under their declared names).
    public var values: [String: String]
    /// The words taken by a variadic positional argument.
    public var rest: [String]
    /// The heredoc body, if any, as text (commands declared with ``BodyEncoding/utf8``, the default).
    public var body: String?
    /// The heredoc body's bytes exactly as received, for a command declared with
    /// ``BodyEncoding/bytes`` (its ``body`` is nil). Every line ends with LF as sent (a CR before
    /// it is kept); a client adds a last LF when the data did not end with one.
    public var bodyBytes: [UInt8]?
    /// Who asked.
    public var caller: Caller
    /// The arguments the command declares (set by the host's binding), so reading one it does
    /// not declare is an error even when the argument is optional; nil skips that check.
    public var declared: [ArgumentSpec]?

    public init(command: String, values: [String: String], rest: [String] = [], body: String? = nil, caller: Caller,
                declared: [ArgumentSpec]? = nil, bodyBytes: [UInt8]? = nil) {
        self.declared = declared
        self.bodyBytes = bodyBytes
        self.command = command
        self.values = values
        self.rest = rest
        self.body = body
        self.caller = caller
    }

    /// The raw value of `name`, if given.
    package func string(_ name: String) -> String? { values[name] }

    /// The integer value of `name`, if given.
    package func int(_ name: String) throws(ControlError) -> Int? {
        guard let raw = values[name] else { return nil }
        guard let v = ValueParser.int(raw) else { throw .invalidArgument("\(name): '\(raw)' is not an integer") }
        return v
    }

    /// The boolean value of `name`, if given.
    package func bool(_ name: String) throws(ControlError) -> Bool? {
        guard let raw = values[name] else { return nil }
        guard let v = ValueParser.bool(raw) else { throw .invalidArgument("\(name): '\(raw)' is not true or false") }
        return v
    }

    /// The duration value of `name`, if given.
    package func duration(_ name: String) throws(ControlError) -> Duration? {
        guard let raw = values[name] else { return nil }
        guard let v = ValueParser.duration(raw) else { throw .invalidArgument("\(name): '\(raw)' is not a duration") }
        return v
    }

    /// The time value of `name` as seconds since the Unix epoch (UTC), if given.
    package func time(_ name: String) throws(ControlError) -> Int64? {
        guard let raw = values[name] else { return nil }
        guard let v = ValueParser.time(raw) else {
            throw .invalidArgument("\(name): '\(ValueParser.shown(raw))' is not a time: \(ValueParser.timeProblem(raw) ?? "expected ISO-8601") (such as 2022-01-12T04:00+08:00)")
        }
        return v
    }
}
