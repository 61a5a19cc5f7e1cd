import DoorstepProtocol
import NIOCore
import Synchronization

/// Closes a connection whose request has been arriving for longer than `request_timeout`
/// (`408 request_timeout`): a client sending a byte a second is busy for the idle guard, and
/// at that pace the 64 KiB line limit takes 18 hours, holding a connection slot all along.
///
/// The clock runs only while the daemon waits for the client: with a request in flight the
/// daemon is not reading, and a line that sits half-read meanwhile is not the client's fault.
/// Sits first in the pipeline, so its reply goes out as bytes.
final class InputDeadline: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let progress: InputProgress
    let activity: ConnectionActivity
    let seconds: Int
    private var task: RepeatedTask?
    private var fired = false

    init(progress: InputProgress, activity: ConnectionActivity, seconds: Int) {
        self.progress = progress
        self.activity = activity
        self.seconds = seconds
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Checked a few times per timeout (at least once a second) rather than a timer per
        // request: one repeated task per connection, whatever the traffic.
        let period = TimeAmount.milliseconds(Int64(min(1000, max(50, seconds * 250))))
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        task = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            let (handler, context) = bound.value
            handler.check(context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        task?.cancel()
        task = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        task?.cancel()
        task = nil
        context.fireChannelInactive()
    }

    private func check(_ context: ChannelHandlerContext) {
        guard !fired, let since = progress.since else { return }
        if activity.state.withLock({ $0.inFlight }) > 0 {
            progress.since = .now()
            return
        }
        guard NIODeadline.now() - since >= .seconds(Int64(seconds)) else { return }
        fired = true
        task?.cancel()
        let text = ReplyEncoder.encode(
            .failure(.requestTimeout("the \(progress.what) did not arrive whole within \(seconds) s (request_timeout); closing")),
            tag: nil, format: activity.state.withLock { $0.format })
        let channel = context.channel
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: text))).whenComplete { _ in channel.close(promise: nil) }
        // A peer that does not read either would keep the write, and the slot, pending.
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }
}
