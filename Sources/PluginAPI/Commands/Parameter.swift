import PluginSupport

/// Anything that can stand in a command's argument list: its ``spec`` is what `help`,
/// `commands` and the host's validation read.
public protocol ArgumentDeclaration: Sendable {
    /// The argument as the host validates and documents it.
    var spec: ArgumentSpec { get }
}

/// How a value of an argument is written and read: its ``ArgumentType`` (what the host checks
/// before the handler runs) and how the checked text becomes a `Value`.
public struct ValueKind<Value: Sendable>: Sendable {
    /// The type the host validates the text against.
    public let type: ArgumentType
    /// The value of a text that passed validation (nil only if it did not).
    public let parse: @Sendable (String) -> Value?

    public init(_ type: ArgumentType, parse: @escaping @Sendable (String) -> Value?) {
        self.type = type
        self.parse = parse
    }
}

extension ValueKind where Value == String {
    /// Any text.
    public static var string: ValueKind<String> { ValueKind(.string) { $0 } }
    /// One of `values`, as written.
    public static func choice(_ values: [String]) -> ValueKind<String> { ValueKind(.choice(values)) { $0 } }
    /// An event pattern (`visits.*`).
    public static var pattern: ValueKind<String> { ValueKind(.pattern) { $0 } }
}

extension ValueKind where Value == Int {
    /// A decimal integer, optionally bounded.
    public static func int(min: Int? = nil, max: Int? = nil) -> ValueKind<Int> {
        ValueKind(.int(min: min, max: max), parse: ValueParser.int)
    }
}

extension ValueKind where Value == Bool {
    /// `true`/`false`, `yes`/`no`, `1`/`0`.
    public static var bool: ValueKind<Bool> { ValueKind(.bool, parse: ValueParser.bool) }
}

extension ValueKind where Value == Duration {
    /// `90`, `90s`, `5m`, `2h`, `1d`.
    public static var duration: ValueKind<Duration> { ValueKind(.duration, parse: ValueParser.duration) }
}

extension ValueKind where Value == Int64 {
    /// An ISO-8601 date or date-time, read as seconds since the Unix epoch (UTC).
    public static var time: ValueKind<Int64> { ValueKind(.time, parse: ValueParser.time) }
    /// When something happened: a time not in the future, or `now` (``ArgumentType/pastTime``).
    public static var pastTime: ValueKind<Int64> { ValueKind(.pastTime, parse: ValueParser.time) }
}

extension ValueKind where Value: CaseIterable & RawRepresentable, Value.RawValue == String {
    /// One of an enum's raw values, read as the enum.
    public static func choice(_ type: Value.Type) -> ValueKind<Value> {
        ValueKind(.choice(Value.allCases.map(\.rawValue)), parse: Value.init(rawValue:))
    }
}

/// A declared argument that a handler reads as a typed value: `try request[household]`.
///
/// Declare each one once (usually as a `static let`), list it in the command's `arguments`, and
/// read it in the handler. A required argument reads as `Value`, an optional one as `Value?`:
/// the host has checked presence and type before the handler runs, so nothing is unwrapped.
public struct Parameter<Value: Sendable>: ArgumentDeclaration {
    public let spec: ArgumentSpec
    /// The value in a bound request; nil only when the request does not carry this argument
    /// at all (a handler reading an argument its command does not declare).
    let read: @Sendable (Request) -> Value?

    init(spec: ArgumentSpec, read: @escaping @Sendable (Request) -> Value?) {
        self.spec = spec
        self.read = read
    }

    /// The same argument with another summary (for reuse across commands).
    public func summary(_ text: String) -> Parameter<Value> {
        var spec = self.spec
        spec.summary = text
        return Parameter(spec: spec, read: read)
    }
}

/// Builders of ``Parameter``s: `Arg.positional("household")`, `Arg.named("people", .int(min: 0))`.
public enum Arg {
    private static func required<T>(_ spec: ArgumentSpec, _ kind: ValueKind<T>) -> Parameter<T> {
        let name = spec.name
        return Parameter(spec: spec) { request in request.values[name].flatMap(kind.parse) }
    }

    private static func optional<T>(_ spec: ArgumentSpec, _ kind: ValueKind<T>) -> Parameter<T?> {
        let name = spec.name
        return Parameter(spec: spec) { request -> T?? in
            guard let raw = request.values[name] else { return .some(nil) }
            return kind.parse(raw).map { .some($0) }
        }
    }

    /// A required positional argument.
    public static func positional<T>(_ name: String, _ kind: ValueKind<T>, summary: String = "") -> Parameter<T> {
        required(ArgumentSpec(name, kind: .positional, type: kind.type, required: true, summary: summary), kind)
    }

    /// A required positional text.
    public static func positional(_ name: String, summary: String = "") -> Parameter<String> {
        positional(name, .string, summary: summary)
    }

    /// A positional argument that may be left out.
    public static func optionalPositional<T>(_ name: String, _ kind: ValueKind<T>, summary: String = "") -> Parameter<T?> {
        optional(ArgumentSpec(name, kind: .positional, type: kind.type, required: false, summary: summary), kind)
    }

    /// A positional text that may be left out.
    public static func optionalPositional(_ name: String, summary: String = "") -> Parameter<String?> {
        optionalPositional(name, .string, summary: summary)
    }

    /// An optional `name=value` argument.
    public static func named<T>(_ name: String, _ kind: ValueKind<T>, summary: String = "") -> Parameter<T?> {
        optional(ArgumentSpec(name, kind: .named, type: kind.type, required: false, summary: summary), kind)
    }

    /// An optional `name=text` argument.
    public static func named(_ name: String, summary: String = "") -> Parameter<String?> {
        named(name, .string, summary: summary)
    }

    /// A `name=value` argument that must be given.
    public static func required<T>(_ name: String, _ kind: ValueKind<T>, summary: String = "") -> Parameter<T> {
        required(ArgumentSpec(name, kind: .named, type: kind.type, required: true, summary: summary), kind)
    }

    /// A `name=text` argument that must be given.
    public static func required(_ name: String, summary: String = "") -> Parameter<String> {
        required(name, .string, summary: summary)
    }

    /// The remaining positional words (at least one when `required`), each checked as `kind`.
    public static func words<T>(_ name: String, _ kind: ValueKind<T>, required: Bool = true, summary: String = "")
        -> Parameter<[T]>
    {
        let spec = ArgumentSpec(name, kind: .positional, type: kind.type, required: required, variadic: true, summary: summary)
        return Parameter(spec: spec) { request in
            var out: [T] = []
            out.reserveCapacity(request.rest.count)
            for word in request.rest {
                guard let v = kind.parse(word) else { return nil }
                out.append(v)
            }
            return out
        }
    }

    /// The remaining positional words as text.
    public static func words(_ name: String, required: Bool = true, summary: String = "") -> Parameter<[String]> {
        words(name, .string, required: required, summary: summary)
    }
}

extension Request {
    /// The typed value of a declared argument: `Value` for a required one, `Value?` for one
    /// that may be left out.
    ///
    /// - Throws: ``ControlError`` `internal_error` only when the command does not declare the
    ///   argument (a plugin bug: the request was bound against another declaration).
    public subscript<Value>(_ parameter: Parameter<Value>) -> Value {
        get throws(ControlError) {
            let name = parameter.spec.name
            // A function, not a value: the message is built only for the error.
            func undeclared() -> ControlError { .internalError("\(command) reads argument '\(name)', which it does not declare") }
            guard let value = parameter.read(self) else {
                if let raw = values[name] {
                    // Validation passed but the kind's parse did not (a custom ValueKind disagreeing with its type).
                    throw .internalError("\(command) cannot read argument '\(name)' ('\(raw)') as its declared kind")
                }
                throw undeclared()
            }
            // Checked only when the value is absent: an optional argument the command does not
            // declare would otherwise read as nil for ever.
            if values[name] == nil, let declared, !declared.contains(where: { $0.name == name }) { throw undeclared() }
            return value
        }
    }

    /// The argument's text as the caller wrote it (for messages), if given.
    public func text<Value>(_ parameter: Parameter<Value>) -> String? { values[parameter.spec.name] }
}
