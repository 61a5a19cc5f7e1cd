import Glibc

/// A plugin's state behind a lock, so read commands can be answered on any thread (see
/// immediate commands, `Command.immediate`) while the plugin's actor stays the only writer.
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
/// sees half an event. Readers call ``read(_:)`` and share the lock: event loops answering
/// reads never wait for each other, and a waiting writer goes before new readers.
///
/// Rules, since a misuse blocks forever instead of trapping:
/// - Only the owning actor writes. Its reads may nest (a read inside `state.x.map { state.y }`):
///   no other writer can be waiting while the only writer is busy reading.
/// - Never change the state while reading it on the same thread (`state.x.forEach { state.y = … }`):
///   Swift's exclusivity rules forbid it for a stored property too, but here it deadlocks.
/// - ``read(_:)`` must not touch another `LockedState` or wait for anything.
public final class LockedState<Value>: @unchecked Sendable {
    private var storage: Value
    /// Allocated, not a stored struct: a pthread lock must not move.
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    public init(_ value: Value) {
        storage = value
        // Writers first: a steady stream of reads from the event loops must not starve the
        // actor, which writes while holding the journal's lock.
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
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
