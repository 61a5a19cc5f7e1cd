import Glibc
import Synchronization

/// Signals the interactive session and `watch` catch: each handler only sets a flag, read where
/// the client waits (poll returns EINTR).
enum Signals {
    static let interrupt = Atomic<Int>(0)
    static let resize = Atomic<Int>(0)
    static let resumed = Atomic<Int>(0)
    static let terminate = Atomic<Int>(0)

    /// Ctrl-C (SIGINT), window size (SIGWINCH) and continue after a stop (SIGCONT) set flags;
    /// without SA_RESTART, so a blocking call returns EINTR and the flag is seen at once.
    static func install(terminate alsoTerm: Bool = false) {
        // A parent may have left them blocked (a test runner's thread, some supervisors): a
        // blocked Ctrl-C would be swallowed by the terminal without reaching the session.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in [SIGINT, SIGWINCH, SIGCONT, SIGTERM, SIGHUP] { sigaddset(&unblock, s) }
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        set(SIGINT) { _ in Signals.interrupt.store(1, ordering: .relaxed) }
        set(SIGWINCH) { _ in Signals.resize.store(1, ordering: .relaxed) }
        set(SIGCONT) { _ in Signals.resumed.store(1, ordering: .relaxed) }
        if alsoTerm {
            set(SIGTERM) { _ in Signals.terminate.store(1, ordering: .relaxed) }
            set(SIGHUP) { _ in Signals.terminate.store(1, ordering: .relaxed) }
        }
    }

    private static func set(_ signal: Int32, _ handler: @convention(c) (Int32) -> Void) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signal, &action, nil)
    }

    /// Whether Ctrl-C was pressed since the last call (clears it).
    static func takeInterrupt() -> Bool { interrupt.exchange(0, ordering: .relaxed) != 0 }
    static func takeResize() -> Bool { resize.exchange(0, ordering: .relaxed) != 0 }
    static func takeResumed() -> Bool { resumed.exchange(0, ordering: .relaxed) != 0 }
    static var terminating: Bool { terminate.load(ordering: .relaxed) != 0 }
}
