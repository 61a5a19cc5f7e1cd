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
    private let clientName = Mutex<String?>(nil)

    init(id: UInt64, caller: Caller, userName: String, subscriptionID: UInt64, activity: ConnectionActivity) {
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

    var client: String? {
        get { clientName.withLock { $0 } }
        set { clientName.withLock { $0 = newValue } }
    }

    var patterns: [String] {
        get { activity.state.withLock { $0.patterns } }
        set { activity.state.withLock { $0.patterns = newValue } }
    }

    /// `uid 1000 (alice)`, for messages and logs.
    var who: String { "uid \(caller.uid) (\(userName))" }
}
