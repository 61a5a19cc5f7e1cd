import PluginAPI
import Synchronization

/// One connection's mutable state, shared by its request loop, its event pump and the idle
/// guard on the event loop.
final class Session: Sendable {
    struct State {
        var format: ReplyFormat = .text
        var client: String?
        var patterns: [String] = []
        var inFlight = 0
    }

    let id: UInt64
    let caller: Caller
    let userName: String
    /// The hub subscription that feeds this connection's events (no patterns until `subscribe`).
    let subscriptionID: UInt64
    private let state = Mutex(State())

    init(id: UInt64, caller: Caller, userName: String, subscriptionID: UInt64) {
        self.id = id
        self.caller = caller
        self.userName = userName
        self.subscriptionID = subscriptionID
    }

    var format: ReplyFormat {
        get { state.withLock { $0.format } }
        set { state.withLock { $0.format = newValue } }
    }

    var client: String? {
        get { state.withLock { $0.client } }
        set { state.withLock { $0.client = newValue } }
    }

    var patterns: [String] {
        get { state.withLock { $0.patterns } }
        set { state.withLock { $0.patterns = newValue } }
    }

    /// Brackets one request, so the idle guard never closes a connection that is being served.
    func beginRequest() { state.withLock { $0.inFlight += 1 } }
    func endRequest() { state.withLock { $0.inFlight -= 1 } }

    /// Whether the idle timeout may close this connection now.
    var isIdle: Bool { state.withLock { $0.inFlight == 0 && $0.patterns.isEmpty } }

    /// `uid 1000 (alice)`, for messages and logs.
    var who: String { "uid \(caller.uid) (\(userName))" }
}
