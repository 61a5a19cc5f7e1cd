import Synchronization

/// The bytes of request bodies every connection together may hold while they arrive and
/// until their requests have been served (`max_buffered_body_bytes`).
///
/// Without it, 250 connections each uploading a body that never ends held 16 MiB each (4.4 GB
/// measured); with it, the connection whose body would cross the budget gets `503` and its
/// body is discarded as it arrives.
public final class BodyBudget: Sendable {
    private let used = Atomic<Int>(0)
    private let limitBox: Atomic<Int>

    public init(limit: Int) { limitBox = Atomic(limit) }

    /// The budget in bytes (a reload may change it; bodies already held stay).
    public var limit: Int {
        get { limitBox.load(ordering: .relaxed) }
        set { limitBox.store(newValue, ordering: .relaxed) }
    }

    /// Bytes held now, by every connection.
    public var inUse: Int { used.load(ordering: .relaxed) }

    /// Takes `n` bytes if they fit; false (nothing taken) if they do not.
    func reserve(_ n: Int) -> Bool {
        let after = used.add(n, ordering: .relaxed).newValue
        if after <= limit { return true }
        used.subtract(n, ordering: .relaxed)
        return false
    }

    func release(_ n: Int) {
        guard n > 0 else { return }
        used.subtract(n, ordering: .relaxed)
    }
}

/// One body's share of the ``BodyBudget``: grows as its lines arrive, travels with the
/// decoded request, and gives the bytes back when the request is done with (its deinit),
/// whichever way that happens — served, refused, or the connection closed mid-body.
public final class BodyLease: Sendable {
    let budget: BodyBudget
    private let held = Atomic<Int>(0)

    init(_ budget: BodyBudget) { self.budget = budget }

    /// Takes `n` more bytes; false when the budget is spent (the lease keeps what it had).
    func grow(_ n: Int) -> Bool {
        guard budget.reserve(n) else { return false }
        held.add(n, ordering: .relaxed)
        return true
    }

    /// Gives back everything held (the body was discarded).
    func releaseAll() { budget.release(held.exchange(0, ordering: .relaxed)) }

    deinit { releaseAll() }
}
