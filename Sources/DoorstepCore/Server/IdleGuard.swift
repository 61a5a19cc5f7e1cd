import DoorstepProtocol
import NIOCore

/// Closes a connection that sent nothing for the idle timeout, unless it is being served or
/// has subscriptions; it tells the client why (`408 idle_timeout`) first.
final class IdleGuard: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    typealias InboundOut = Frame

    let session: Session
    let seconds: Int

    init(session: Session, seconds: Int) {
        self.session = session
        self.seconds = seconds
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard session.isIdle else { return }
        let text = ReplyEncoder.encode(
            .failure(.idleTimeout("closing after \(seconds) s without a request (idle_timeout)")), tag: nil,
            format: session.format)
        let buffer = context.channel.allocator.buffer(string: text)
        let channel = context.channel
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }
}
