import PluginAPI
import Synchronization
import DoorstepProtocol

/// What the event loop's handlers and the request loop both track for one connection:
/// whether it may be closed for idleness, and in which format to say so.
final class ConnectionActivity: Sendable {
    struct State {
        var format: ReplyFormat = .text
        var patterns: [String] = []
        /// Requests handed to the request loop whose replies have not yet gone out (counted on
        /// the event loop: up as each is decoded, down as its reply passes on the way out).
        var inFlight = 0
        /// The session once the request loop has identified the peer (nil when refused).
        var session: Session?
        /// Set when the subscription was cut off for not reading (its memory is given back).
        var cutOff = false
    }

    let state = Mutex(State())

    /// Whether the idle timeout may close this connection now.
    var isIdle: Bool { state.withLock { $0.inFlight == 0 && $0.patterns.isEmpty } }

    /// The session, if a request may be answered at once: identified, and no earlier request
    /// still waiting for its reply (answering now would overtake it).
    var sessionIfNothingPending: Session? { state.withLock { $0.inFlight == 0 ? $0.session : nil } }
}

/// One connection's state, shared by its request loop and its event pump.
final class Session: Sendable {
    let id: UInt64
    let caller: Caller
    let userName: String
    /// The hub subscription that feeds this connection's events (no patterns until `subscribe`).
    let subscriptionID: UInt64
    let activity: ConnectionActivity
    /// The byte bound of this connection's event queue.
    let backlog: EventHub.Backlog?
    private let clientName = Mutex<String?>(nil)
    private let language = Mutex(("en", Glossary?.none))
    private let replayBox = Mutex(ReplayState())

    /// A replay of committed events asked for by `subscribe … from=SEQ`.
    struct Replay: Sendable {
        /// Events with a sequence number after this…
        var after: UInt64
        /// …up to this one are read from the journal; later ones arrive live.
        var through: UInt64
        var patterns: [String]
    }

    struct ReplayState {
        /// Set once `from=` was used: the pump then writes each sequence number once, and reads
        /// the journal when live events were dropped.
        var resumable = false
        var pending: Replay?
        /// The subscription's reader must be woken once the reply has been written.
        var poke = false
    }

    init(id: UInt64, caller: Caller, userName: String, subscriptionID: UInt64, activity: ConnectionActivity,
         backlog: EventHub.Backlog? = nil) {
        self.backlog = backlog
        self.id = id
        self.caller = caller
        self.userName = userName
        self.subscriptionID = subscriptionID
        self.activity = activity
    }

    var format: ReplyFormat {
        get { activity.state.withLock { $0.format } }
        set { activity.state.withLock { $0.format = newValue } }
    }

    /// `en` or `zh-CN` (`hello lang=`): the language of messages, labels, reports and help.
    var lang: String { language.withLock { $0.0 } }

    /// The words replies are shown with on this connection: nil for English.
    var glossary: Glossary? { language.withLock { $0.1 } }

    /// Sets the connection's language, with the glossary a Chinese one shows replies with.
    func setLanguage(_ lang: String, glossary: Glossary?) {
        language.withLock { $0 = (lang, lang == "zh-CN" ? glossary : nil) }
    }

    var client: String? {
        get { clientName.withLock { $0 } }
        set { clientName.withLock { $0 = newValue } }
    }

    var patterns: [String] {
        get { activity.state.withLock { $0.patterns } }
        set { activity.state.withLock { $0.patterns = newValue } }
    }

    /// Whether `subscribe … from=` was used on this connection.
    var resumable: Bool { replayBox.withLock { $0.resumable } }

    /// Asks for `replay` (the pump starts it once the subscribe reply has gone out).
    func startReplay(_ replay: Replay) {
        backlog?.resumable.store(true, ordering: .relaxed)
        replayBox.withLock { r in
            r.resumable = true
            r.pending = replay
            r.poke = true
        }
    }

    /// Whether a replay was asked for and not yet started.
    var hasPendingReplay: Bool { replayBox.withLock { $0.pending != nil } }

    /// The replay asked for, once.
    func takeReplay() -> Replay? { replayBox.withLock { r in defer { r.pending = nil }; return r.pending } }

    /// Whether the pump must be woken now (once per replay asked for).
    func takePoke() -> Bool { replayBox.withLock { r in defer { r.poke = false }; return r.poke } }

    /// `uid 1000 (alice)`, for messages and logs.
    var who: String { "uid \(caller.uid) (\(userName))" }
}
