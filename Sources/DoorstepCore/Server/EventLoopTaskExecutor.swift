import NIOCore

/// Runs a task's jobs on a NIO event loop: the task executor preference of each connection.
///
/// Why: a connection's request loop, the plugin actors it calls (default actors follow the
/// task's executor preference) and its reply writes then stay on the thread that reads the
/// socket. Without it every request crossed between the event loop and Swift's global pool
/// four times, and the futex and eventfd wake-ups cost more than the work (docs/benchmarks.md).
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
