@testable import DoorstepCore
import Foundation
import NIOCore
import NIOPosix
import PluginAPI
import Synchronization
import Testing

@Suite("Event hub")
struct EventHubTests {
    /// One durable record announcing `name`, as the journal's writer hands it over.
    static func record(_ seq: UInt64, _ name: String) throws -> RecordedEvent {
        var record = RecordedEvent(seq: seq, time: 0, plugin: "@probe", type: "@event", version: 1, payload: [])
        record.announced = try PluginStateService.encode([Announcement(name, ["n": .number(Int(seq))])], of: "probe")
        return record
    }

    /// Readers cancelled while batches are delivered: a reader's cancellation runs its stream's
    /// `onTermination` under its task's lock while delivering resumes that task under the hub's
    /// lock. This froze the daemon once (a plugin restarted on reload during a batch); here the
    /// writer delivers from a thread of its own, as the journal does, and must finish.
    @Test func readersCancelledDuringDeliveryDoNotDeadlock() async throws {
        let hub = EventHub()
        let records = try (1...64).map { try Self.record(UInt64($0), "probe.tick") }
        let done = Atomic<Bool>(false)
        let writer = Thread {
            var seq: UInt64 = 64
            while !done.load(ordering: .acquiring) {
                seq += 1
                hub.deliver(records.map { r in var r = r; r.seq = seq; return r })
            }
        }
        writer.start()
        defer { done.store(true, ordering: .releasing) }
        // Tasks on threads of their own: the global pool is busy with the other suites' blocking
        // tests, and a starved round is not a deadlock.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let canceller = EventLoopTaskExecutor(loops.next()), reading = EventLoopTaskExecutor(loops.next())
        let finished = Atomic<Int>(0)
        let rounds = 2_000
        let work = Task(executorPreference: canceller) {
            for _ in 0..<rounds {
                let feed = hub.subscribeFeed(["probe.*"])
                let plain = hub.subscribe(["*"])
                let readers = Task(executorPreference: reading) {
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { for await _ in feed.deliveries {} }
                        group.addTask { for await _ in plain.events {} }
                    }
                }
                await Task.yield()
                readers.cancel()
                await readers.value
                finished.add(1, ordering: .relaxed)
            }
        }
        // Polled from here, not awaited: a deadlock must fail the test, not hang the run.
        let deadline = ContinuousClock.now + .seconds(30)
        while finished.load(ordering: .relaxed) < rounds, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(finished.load(ordering: .relaxed) == rounds, "readers stuck after \(finished.load(ordering: .relaxed)) of \(rounds) rounds")
        if finished.load(ordering: .relaxed) == rounds {
            await work.value
            try await loops.shutdownGracefully()
        }
    }

    /// A reader that went away is forgotten (swept at the next delivery), not fed for ever.
    @Test func endedReadersAreForgotten() async throws {
        let hub = EventHub()
        let (_, events) = hub.subscribe(["*"])
        let reader = Task { for await _ in events {} }
        reader.cancel()
        await reader.value
        hub.deliver([try Self.record(1, "probe.tick")])
        #expect(hub.subscriberCount == 0)
    }
}
