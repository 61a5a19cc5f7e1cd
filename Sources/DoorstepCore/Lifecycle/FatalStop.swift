import Dispatch
public import ServiceLifecycle
import Synchronization

/// A failure after which the daemon must not go on (an `fdatasync` that failed: what the
/// kernel kept is unknown, so nothing more may be acknowledged). Library code reports it here
/// and stops its own work; ``FatalStopService`` ends the service group, and the launcher
/// returns the status to `main`, which exits with it.
final class FatalStop: Sendable {
    private struct Waiting {
        var failure: (status: Int32, reason: String)?
        /// Set at a graceful shutdown: waiters return nil from then on.
        var released = false
        var waiters: [CheckedContinuation<(status: Int32, reason: String)?, Never>] = []
    }

    private let state = Mutex(Waiting())

    /// Whether a fatal failure was reported.
    var isTriggered: Bool { state.withLock { $0.failure != nil } }

    /// The fatal failure reported, if any.
    var failure: (status: Int32, reason: String)? { state.withLock { $0.failure } }

    /// Reports a fatal failure (the first one wins).
    func trigger(status: Int32, reason: String) {
        let waiters = state.withLock { s -> [CheckedContinuation<(status: Int32, reason: String)?, Never>] in
            guard s.failure == nil else { return [] }
            s.failure = (status, reason)
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: (status, reason)) }
    }

    /// Lets every waiter return nil (the daemon is stopping normally).
    func release() {
        let waiters = state.withLock { s in
            s.released = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// Waits for a fatal failure; nil once ``release()`` was called without one.
    func wait() async -> (status: Int32, reason: String)? {
        await withCheckedContinuation { continuation in
            let answer = state.withLock { s -> (status: Int32, reason: String)?? in
                if let failure = s.failure { return .some(failure) }
                if s.released { return .some(nil) }
                s.waiters.append(continuation)
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Blocks the calling thread for good: a writer that hit a fatal failure must acknowledge
    /// nothing more while the process ends.
    func park() -> Never {
        while true { DispatchSemaphore(value: 0).wait() }
    }
}

/// The error that ends the service group after a fatal failure.
struct FatalFailure: Error, CustomStringConvertible {
    let status: Int32
    let reason: String
    var description: String { "fatal: \(reason)" }
}

/// Ends the daemon's service group when a fatal failure is reported.
struct FatalStopService: Service {
    let fatal: FatalStop

    func run() async throws {
        let fatal = self.fatal
        // Ends quietly at a graceful shutdown or when the group is cancelled for another
        // reason; throws (shutting the group down) on a fatal failure.
        let failure = await withTaskCancellationOrGracefulShutdownHandler {
            await fatal.wait()
        } onCancelOrGracefulShutdown: {
            fatal.release()
        }
        if let failure { throw FatalFailure(status: failure.status, reason: failure.reason) }
    }
}
