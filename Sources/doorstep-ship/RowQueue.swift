import ShipCore
import Synchronization

/// What the reader hands the writer: a row to ship, or only a position (an event the
/// patterns do not ship still moves the cursor).
struct ShipItem: Sendable {
    var seq: UInt64
    var row: ShipRow?
}

/// The bounded queue between the socket reader and the database writer.
///
/// The writer takes everything queued (up to a batch) as soon as its previous transaction has
/// committed: under load batches grow by themselves, and an event arriving alone is written
/// at once (no timer adds to the lag). The reader waits while `capacity` items are queued, so a
/// replay of a long journal holds at most that much in memory; the daemon's socket buffer
/// fills and its `from=` stream waits for us.
final class RowQueue: Sendable {
    private struct State {
        var items: [ShipItem] = []
        var head = 0
        /// Set once: the reader ended (nil error: the daemon closed the stream) or a side failed.
        var ended: (any Error)??
        var taker: CheckedContinuation<Void, Never>?
        var putter: CheckedContinuation<Void, Never>?
        var count: Int { items.count - head }
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Adds items, waiting while the queue is full. Throws once the queue was ended.
    func put(_ batch: [ShipItem]) async throws {
        guard !batch.isEmpty else { return }
        while true {
            let full: Bool = try state.withLock { s in
                if case .some(let error) = s.ended { throw error ?? CancellationError() }
                if s.count >= capacity { return true }
                s.items += batch
                s.taker?.resume()
                s.taker = nil
                return false
            }
            guard full else { return }
            await withCheckedContinuation { c in
                state.withLock { s in
                    if s.ended != nil || s.count < capacity { c.resume() } else { s.putter = c }
                }
            }
        }
    }

    /// Up to `max` items, waiting for at least one. nil when the reader ended and everything
    /// was taken; throws the failure that ended the queue.
    func take(max: Int) async throws -> [ShipItem]? {
        while true {
            let got: [ShipItem]?? = try state.withLock { s in
                if s.count > 0 {
                    let end = min(s.items.count, s.head + max)
                    let out = Array(s.items[s.head..<end])
                    s.head = end
                    if s.head > 4096, s.head * 2 > s.items.count {
                        s.items.removeFirst(s.head)
                        s.head = 0
                    }
                    s.putter?.resume()
                    s.putter = nil
                    return .some(out)
                }
                if case .some(let error) = s.ended {
                    if let error { throw error }
                    return .some(nil)
                }
                return .none
            }
            if let got { return got }
            await withCheckedContinuation { c in
                state.withLock { s in
                    if s.count > 0 || s.ended != nil { c.resume() } else { s.taker = c }
                }
            }
        }
    }

    /// Ends the queue: `nil` when the stream ended (what is queued is still taken), else a
    /// failure both sides see. The first end wins.
    func end(_ error: (any Error)?) {
        state.withLock { s in
            if s.ended == nil { s.ended = .some(error) }
            if error != nil {
                s.items = []
                s.head = 0
            }
            s.taker?.resume()
            s.taker = nil
            s.putter?.resume()
            s.putter = nil
        }
    }
}
