import Glibc

/// A plugin's state behind a lock, so read commands can be answered on any thread (see
/// ``ImmediateReads``) while the plugin's actor stays the only writer.
///
/// The actor reaches the value through accessors that hold the lock for exactly one access:
///
/// ```swift
/// let shared = LockedState(RosterState())
/// var state: RosterState {
///     _read { yield shared.value }
///     _modify { yield &shared.value }
/// }
/// ```
///
/// so `state.apply(event)` changes the state in place under the write lock, and a reader never
/// sees half an event. Readers call ``read(_:)`` and share the lock (a read-write lock that
/// prefers readers: event loops answering reads never wait for each other). A read may nest in
/// a read (an index computed from the state itself); Swift's exclusivity rules already forbid
/// reading the state inside a modification.
public final class LockedState<Value>: @unchecked Sendable {
    private var storage: Value
    /// Allocated, not a stored struct: a pthread lock must not move.
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    public init(_ value: Value) {
        storage = value
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// The value, locked for the duration of one access (the owner's accessors).
    public var value: Value {
        _read {
            pthread_rwlock_rdlock(lock)
            defer { pthread_rwlock_unlock(lock) }
            yield storage
        }
        _modify {
            pthread_rwlock_wrlock(lock)
            defer { pthread_rwlock_unlock(lock) }
            yield &storage
        }
    }

    /// Runs `body` with the value under the lock. Keep it short: writers wait meanwhile.
    public func read<R>(_ body: (Value) throws -> R) rethrows -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(storage)
    }
}
