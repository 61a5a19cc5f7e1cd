import DoorstepProtocol
import NIOCore
import Synchronization

/// Closes a connection that sent no byte for the idle timeout, unless a request is being
/// served or it has subscriptions; it tells the client why (`408 idle_timeout`) first.
/// Sits before the frame decoder, so a slow heredoc upload counts as activity.
final class IdleGuard: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let activity: ConnectionActivity
    let seconds: Int

    init(activity: ConnectionActivity, seconds: Int) {
        self.activity = activity
        self.seconds = seconds
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard activity.isIdle else { return }
        let text = ReplyEncoder.encode(
            .failure(.idleTimeout("closing after \(seconds) s without a request (idle_timeout)")), tag: nil,
            format: activity.state.withLock { $0.format })
        let buffer = context.channel.allocator.buffer(string: text)
        let channel = context.channel
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }
}
