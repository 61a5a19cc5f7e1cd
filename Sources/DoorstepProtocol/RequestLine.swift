/// One argument word of a request line.
public enum Argument: Sendable, Equatable {
    /// A positional value.
    case positional(String)
    /// A `key=value` pair (the key written bare).
    case named(key: String, value: String)
}

/// A request line split into its parts, before the command name is resolved.
public struct RequestLine: Sendable, Equatable {
    /// The client's tag (without `@`), echoed on every line of the reply.
    public var tag: String?
    /// The words that name the command (`["visits", "record"]` or `["visits.record"]`) followed
    /// by the arguments; the dispatcher decides where the name ends.
    public var words: [Argument]
    /// The heredoc terminator when the line ends with `<<WORD`.
    public var heredoc: String?

    public init(tag: String? = nil, words: [Argument], heredoc: String? = nil) {
        self.tag = tag
        self.words = words
        self.heredoc = heredoc
    }
}
