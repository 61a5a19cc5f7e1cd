import Foundation
import Glibc
import Logging
import NIOConcurrencyHelpers
import PluginAPI
import Synchronization

/// Whether a group commit ends with `fdatasync`.
public enum FsyncMode: String, Sendable {
    /// Every acknowledged change is on disk (the default).
    case always
    /// No sync: for tests and benchmarks only; `status` says so.
    case off
}

/// The daemon's one append-only journal, with group commit.
///
/// `commit` numbers an event and queues it; a writer thread takes everything queued, writes
/// it with one `write`, syncs once, and then wakes every waiter of the batch. A failed write
/// (ENOSPC, EIO) is cut off the file again and fails the batch; the host then rebuilds the
/// plugins concerned from disk. A failed sync is fatal, as in PostgreSQL: the kernel may have
/// dropped the dirty pages, so retrying could report success for data that is gone.
final class Journal: @unchecked Sendable {
    /// One queued event and whoever waits for it.
    final class Entry: Sendable {
        let event: RecordedEvent
        private let state = Mutex<State>(.pending)

        enum State {
            case pending
            case waiting(CheckedContinuation<Void, any Error>)
            case done(ControlError?)
        }

        init(_ event: RecordedEvent) { self.event = event }

        func wait() async throws {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let done: ControlError?? = state.withLock { s in
                    if case .done(let error) = s { return .some(error) }
                    s = .waiting(c)
                    return .none
                }
                if case .some(let error) = done {
                    if let error { c.resume(throwing: error) } else { c.resume() }
                }
            }
        }

        func finish(_ error: ControlError?) {
            let waiter: CheckedContinuation<Void, any Error>? = state.withLock { s in
                defer { s = .done(error) }
                if case .waiting(let c) = s { return c }
                return nil
            }
            if let error { waiter?.resume(throwing: error) } else { waiter?.resume() }
        }
    }

    struct Stats: Sendable {
        var durableSeq: UInt64 = 0
        var lastSyncMicros: Int64 = 0
        /// When the last fdatasync returned (epoch seconds; 0: none yet), for `metrics`.
        var lastSyncAt: Double = 0
        var batches: Int = 0
        var bytesSinceSnapshot: Int64 = 0
        var eventsSinceSnapshot: Int = 0
        var writeFailures: Int = 0
        var lastWriteError: String?
    }

    let directory: String
    let fsyncMode: FsyncMode
    let segmentBytes: Int
    let logger: Logger
    /// Called (off the writer thread's lock) with the plugins whose changes were lost; the
    /// host rebuilds them, then calls the closure, which answers the failed requests, so a
    /// client told "507" never reads the refused change afterwards.
    let onWriteFailure: @Sendable (Set<String>, @escaping @Sendable () -> Void) -> Void
    /// Where a failure the daemon cannot go on from is reported (the writer then stops).
    let fatal: FatalStop
    /// Called on the writer thread with each batch once it is durable, in sequence order (the
    /// event hub publishes what the records announce from here, so nothing is published that
    /// a failed write later takes back).
    let onDurable: @Sendable ([RecordedEvent]) -> Void

    // Guarded by `lock` (value 1 when there is work or a stop request).
    private let lock = ConditionLock(value: 0)
    private var queue: [Entry] = []
    private var nextSeq: UInt64
    private var poisoned: Set<String> = []
    private var stopping = false
    /// The last sequence number each plugin recorded since the journal opened.
    private var lastSeqByPlugin: [String: UInt64] = [:]
    /// First sequence number of the batch being written (under `lock`).
    private var writingFirstSeq: UInt64?
    /// Failed writes per plugin, so a snapshot taken across a failure is thrown away.
    private var failures: [String: Int] = [:]

    // Owned by the writer thread.
    private var fd: Int32
    private var segmentPath: String
    private var segmentSize: Int

    private let stats = Mutex(Stats())
    /// Set by ``startNewSegment()``: the next batch goes into a new segment, so every record
    /// written before it is in a closed segment that compaction may delete (`privacy.purge`).
    private let rollRequested = Atomic<Bool>(false)
    private let durableWaiters = Mutex<[(UInt64, CheckedContinuation<Void, Never>)]>([])
    private let stopped = ConditionLock(value: 0)
    /// Whether ``stop()`` closed the segment (guarded by `stopped`).
    private var closed = false

    /// Opens the journal for appending after recovery.
    ///
    /// - Parameters:
    ///   - lastSegment: the newest segment and its valid size, or nil to start one.
    ///   - nextSeq: the first sequence number to hand out.
    init(directory: String, lastSegment: (path: String, size: Int)?, nextSeq: UInt64, fsync: FsyncMode, segmentBytes: Int,
         logger: Logger, fatal: FatalStop,
         onWriteFailure: @escaping @Sendable (Set<String>, @escaping @Sendable () -> Void) -> Void,
         onDurable: @escaping @Sendable ([RecordedEvent]) -> Void = { _ in }) throws(FileSystem.Failure) {
        self.fatal = fatal
        self.onDurable = onDurable
        self.directory = directory
        self.fsyncMode = fsync
        self.segmentBytes = segmentBytes
        self.logger = logger
        self.onWriteFailure = onWriteFailure
        self.nextSeq = nextSeq
        if let last = lastSegment {
            fd = open(last.path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { throw FileSystem.Failure(operation: "open", path: last.path, code: errno) }
            segmentPath = last.path
            segmentSize = last.size
        } else {
            (fd, segmentPath) = try Self.createSegment(directory, firstSeq: nextSeq)
            segmentSize = 0
        }
        stats.withLock { $0.durableSeq = nextSeq - 1 }
        let thread = Thread { [self] in self.writerLoop() }
        thread.start()
    }

    private static func createSegment(_ dir: String, firstSeq: UInt64) throws(FileSystem.Failure) -> (Int32, String) {
        let path = dir + "/" + SegmentFile.name(firstSeq: firstSeq)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystem.Failure(operation: "create", path: path, code: errno) }
        try FileSystem.syncDirectory(dir)
        return (fd, path)
    }

    /// Makes the next batch start a new segment file.
    func startNewSegment() { rollRequested.store(true, ordering: .releasing) }

    /// The last sequence number handed out.
    var lastSeq: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return nextSeq - 1
    }

    var currentStats: Stats { stats.withLock { $0 } }

    /// The last sequence number written and synced.
    var durableSeq: UInt64 { stats.withLock { $0.durableSeq } }

    /// Plugins that recorded since the journal opened.
    var recordedPlugins: Set<String> { lock.lock(); defer { lock.unlock() }; return Set(lastSeqByPlugin.keys) }

    /// The last sequence number `plugin` recorded since the journal opened (0: none).
    func lastSeq(of plugin: String) -> UInt64 { lock.lock(); defer { lock.unlock() }; return lastSeqByPlugin[plugin] ?? 0 }
    var currentSegment: String { lock.lock(); defer { lock.unlock() }; return segmentPath }

    /// Numbers `event`, applies it through `apply`, and queues it (see ``StateService``).
    func commit(_ event: RecordedEvent, applying apply: (RecordedEvent) throws -> Void) throws -> Entry {
        lock.lock()
        if stopping || poisoned.contains(event.plugin) {
            let reason = stopping ? "the daemon is stopping" : "plugin \(event.plugin) is being rebuilt after a storage error"
            lock.unlock()
            throw ControlError.unavailable("cannot record now: \(reason); try again")
        }
        var numbered = event
        numbered.seq = nextSeq
        do {
            try apply(numbered)
        } catch {
            lock.unlock()
            throw error
        }
        nextSeq += 1
        lastSeqByPlugin[event.plugin] = numbered.seq
        let entry = Entry(numbered)
        queue.append(entry)
        lock.unlock(withValue: 1)
        return entry
    }

    /// Lets a rebuilt plugin record again.
    func clearPoison(_ plugins: Set<String>) {
        lock.lock()
        poisoned.subtract(plugins)
        lock.unlock(withValue: queue.isEmpty && !stopping ? 0 : 1)
    }

    /// Returns once every event up to `seq` is resolved: written and synced, or failed (a
    /// failed write never becomes durable, and waiting for it must not hang).
    func waitDurable(_ seq: UInt64) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            if isResolved(seq) { c.resume(); return }
            durableWaiters.withLock { $0.append((seq, c)) }
            // Re-check: the writer may have finished between the two locks.
            releaseDurableWaiters()
        }
    }

    /// Whether no event at or below `seq` is still queued or being written.
    func isResolved(_ seq: UInt64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let pending = [queue.first?.event.seq, writingFirstSeq].compactMap { $0 }.min()
        return pending.map { $0 > seq } ?? true
    }

    private func releaseDurableWaiters() {
        let ready = durableWaiters.withLock { list -> [CheckedContinuation<Void, Never>] in
            var done: [CheckedContinuation<Void, Never>] = []
            list.removeAll { entry in
                guard isResolved(entry.0) else { return false }
                done.append(entry.1)
                return true
            }
            return done
        }
        for c in ready { c.resume() }
    }

    /// Failed writes of `plugin` so far, and whether it is waiting for a rebuild.
    func failureState(_ plugin: String) -> (count: Int, poisoned: Bool) {
        lock.lock()
        defer { lock.unlock() }
        return (failures[plugin, default: 0], poisoned.contains(plugin))
    }

    /// Starts the counters that trigger snapshots at what the journal holds past the snapshots
    /// on disk (what recovery replayed).
    func seedSnapshotCounters(events: Int, bytes: Int64) {
        stats.withLock { $0.eventsSinceSnapshot = events; $0.bytesSinceSnapshot = bytes }
    }

    /// Resets the counters that trigger snapshots.
    func resetSnapshotCounters() { stats.withLock { $0.bytesSinceSnapshot = 0; $0.eventsSinceSnapshot = 0 } }

    /// Writes what is queued, then stops the writer thread.
    ///
    /// Idempotent: a second stop must not close the descriptor number again, which by then
    /// may belong to another file or socket of the process.
    func stop() {
        lock.lock()
        stopping = true
        lock.unlock(withValue: 1)
        stopped.lock(whenValue: 1)
        let first = !closed
        closed = true
        stopped.unlock()
        if first { close(fd) }
    }

    private func writerLoop() {
        var buffer: [UInt8] = []
        while true {
            lock.lock(whenValue: 1)
            let batch = queue
            queue = []
            writingFirstSeq = batch.first?.event.seq
            let exit = stopping && batch.isEmpty
            lock.unlock(withValue: stopping ? 1 : 0)
            if exit { break }
            if batch.isEmpty { continue }
            buffer.removeAll(keepingCapacity: true)
            for entry in batch { JournalRecord.encode(entry.event, into: &buffer) }
            write(batch, buffer)
        }
        releaseDurableWaiters()
        stopped.lock()
        stopped.unlock(withValue: 1)
    }

    private func write(_ batch: [Entry], _ buffer: [UInt8]) {
        do throws(FileSystem.Failure) {
            // An empty segment is not rolled: nothing before the request is in it.
            let roll = rollRequested.exchange(false, ordering: .acquiringAndReleasing)
            if segmentSize > 0, roll || segmentSize + buffer.count > segmentBytes {
                let (newFD, newPath) = try Self.createSegment(directory, firstSeq: batch[0].event.seq)
                close(fd)
                lock.lock()
                fd = newFD
                segmentPath = newPath
                lock.unlock()
                segmentSize = 0
            }
            try FileSystem.writeAll(fd, buffer, path: segmentPath)
        } catch {
            writeFailed(batch, error)
            return
        }
        if fsyncMode == .always {
            let start = ContinuousClock.now
            if fdatasync(fd) != 0 {
                let code = errno
                logger.critical("fdatasync failed; stopping without acknowledging the batch (restart replays the journal)",
                                metadata: ["file": "\(segmentPath)", "error": "\(String(cString: strerror(code)))",
                                           "message_id": "\(MessageID.fsyncFailed)"])
                SystemdNotifier().send("STATUS=fatal: fdatasync \(segmentPath) failed: \(String(cString: strerror(code)))", "ERRNO=\(code)")
                failFatally(batch, "fdatasync \(segmentPath) failed: \(String(cString: strerror(code)))")
            }
            let micros = (ContinuousClock.now - start).components.attoseconds / 1_000_000_000_000
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let at = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
            stats.withLock {
                $0.lastSyncMicros = micros
                $0.lastSyncAt = at
            }
        }
        segmentSize += buffer.count
        stats.withLock {
            $0.durableSeq = batch[batch.count - 1].event.seq
            $0.batches += 1
            $0.bytesSinceSnapshot += Int64(buffer.count)
            $0.eventsSinceSnapshot += batch.count
        }
        lock.lock()
        writingFirstSeq = nil
        lock.unlock()
        // Published before the acknowledgements: whoever is told "done" can already have
        // seen the events, and a reaction is on its way.
        onDurable(batch.map(\.event))
        for entry in batch { entry.finish(nil) }
        releaseDurableWaiters()
    }

    /// After a failure nothing may be acknowledged any more: refuses new commits, answers the
    /// batch and everything queued "outcome unknown" (what the kernel kept is unknown, and the
    /// next start replays whatever is on disk), reports the failure for the daemon to stop with
    /// status 74, and parks the writer thread (marked stopped, so closing the journal returns).
    private func failFatally(_ batch: [Entry], _ reason: String) -> Never {
        let error = ControlError.unavailable("\(reason); the daemon is stopping: this change may or may not have been "
            + "recorded (check after the restart)")
        lock.lock()
        stopping = true
        let queued = queue
        queue = []
        writingFirstSeq = nil
        lock.unlock()
        // Answered before the daemon is told to stop, so the replies still go out.
        for entry in batch + queued { entry.finish(error) }
        releaseDurableWaiters()
        fatal.trigger(status: 74, reason: reason)
        // The writer is done: `stop()` must not wait for it (the daemon's shutdown closes us).
        stopped.lock()
        stopped.unlock(withValue: 1)
        fatal.park()
    }

    /// Cuts a failed batch off the file, fails it and everything queued by the same plugins.
    private func writeFailed(_ batch: [Entry], _ failure: FileSystem.Failure) {
        if ftruncate(fd, off_t(segmentSize)) != 0 {
            logger.critical("cannot cut a failed write off the journal; stopping",
                            metadata: ["file": "\(segmentPath)", "error": "\(String(cString: strerror(errno)))"])
            failFatally(batch, "cannot cut a failed write off \(segmentPath)")
        }
        let error: ControlError = failure.isNoSpace
            ? .storageFull("the state directory is full (\(failure)); nothing was recorded; free space and retry")
            : .internalError("the journal could not be written (\(failure)); nothing was recorded")
        var affected = Set(batch.map { $0.event.plugin })
        lock.lock()
        poisoned.formUnion(affected)
        let (dropped, kept) = (queue.filter { affected.contains($0.event.plugin) }, queue.filter { !affected.contains($0.event.plugin) })
        queue = kept
        writingFirstSeq = nil
        for plugin in affected.union(dropped.map { $0.event.plugin }) { failures[plugin, default: 0] += 1 }
        lock.unlock(withValue: kept.isEmpty && !stopping ? 0 : 1)
        affected.formUnion(dropped.map { $0.event.plugin })
        stats.withLock {
            $0.writeFailures += 1
            $0.lastWriteError = failure.description
        }
        logger.error("journal write failed; the batch was not recorded", metadata: [
            "error": "\(failure)", "events": "\(batch.count + dropped.count)",
            "plugins": "\(affected.sorted().joined(separator: ","))",
        ])
        releaseDurableWaiters()
        let failed = batch + dropped
        onWriteFailure(affected) { for entry in failed { entry.finish(error) } }
    }
}
