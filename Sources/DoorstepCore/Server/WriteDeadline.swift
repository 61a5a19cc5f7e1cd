import NIOCore

/// Closes a connection whose peer stopped reading: the daemon's send buffer to it has stayed
/// full (the channel unwritable) for `write_timeout` with nothing taken from it.
///
/// Neither other deadline sees such a peer: a client that pipelines requests and never reads
/// the replies keeps a request in flight (the daemon is waiting to write its reply, so it is
/// not idle and its input clock is stopped), and it would hold its connection slot for ever.
/// Nothing can be said to a peer that does not read: the close is logged instead.
///
/// Writability flips back once the peer has taken the buffer down to its low-water mark, so a
/// slow reader (a large export over a slow pipe) that keeps reading is never closed.
final class WriteDeadline: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let seconds: Int
    /// Called on the event loop just before the close (logging, with who the peer is).
    let onTimeout: @Sendable () -> Void
    private var timer: Scheduled<Void>?

    init(seconds: Int, onTimeout: @escaping @Sendable () -> Void) {
        self.seconds = seconds
        self.onTimeout = onTimeout
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            timer?.cancel()
            timer = nil
        } else if timer == nil {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let onTimeout = self.onTimeout
            timer = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
                let context = bound.value
                guard !context.channel.isWritable, context.channel.isActive else { return }
                onTimeout()
                context.close(promise: nil)
            }
        }
        // The async channel's writer waits on writability: it must see every change.
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}
