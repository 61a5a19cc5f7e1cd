/// A plugin that answers some read commands at once, on the connection's event loop, instead
/// of through its actor: no task, no hop, the reply rendered where the request was read.
///
/// The host calls ``answerNow(_:)`` only for commands in ``immediateCommands``, only with a
/// validated request from a caller with the command's role, and only when the connection has
/// no earlier request still being answered (so replies keep their order and a read sees the
/// writes sent before it). Implementations read state kept in a ``LockedState``; they must
/// not block, wait or do I/O, and should stay well under a millisecond (other connections on
/// the same event loop wait meanwhile). Everything else still arrives through
/// ``DoorstepPlugin/handle(_:)``, which must answer the same commands the same way.
public protocol ImmediateReads: DoorstepPlugin {
    /// The commands ``answerNow(_:)`` answers (names from ``DoorstepPlugin/commands``).
    static var immediateCommands: Set<String> { get }

    /// Answers `request` now; nil hands it to ``DoorstepPlugin/handle(_:)`` instead.
    ///
    /// - Throws: ``ControlError`` for the caller, as `handle` would.
    func answerNow(_ request: Request) throws -> Reply?
}
