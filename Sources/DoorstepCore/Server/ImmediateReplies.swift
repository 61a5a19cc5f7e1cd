import NIOCore
import PluginAPI
import DoorstepProtocol
import Synchronization

/// What the request loop writes: a reply to a request it was handed, or anything else (events,
/// a refusal). Only replies end a request's time in flight.
enum Outgoing: Sendable {
    case reply(ByteBuffer)
    case other(ByteBuffer)
}

/// Answers on the event loop what needs no waiting — `ping`, plugins' immediate reads,
/// requests that fail validation — and hands everything else to the request loop.
///
/// Replies keep request order: a request is answered here only when every earlier one has
/// had its reply written (`inFlight` is 0), so a read sent after a write sees that write.
/// Replies written here are flushed once per read burst, so a pipelined batch goes out in
/// one write, and when the peer's input ends (its last request may be decoded then, with no
/// read burst after it). A peer that does not read its replies gets nothing answered here
/// once the socket is full: its requests go the async way, whose back-pressure stops reading.
final class ImmediateReplies: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias InboundOut = Frame
    typealias OutboundOut = ByteBuffer

    let activity: ConnectionActivity
    let dispatcher: Dispatcher
    private var unflushed = false

    init(activity: ConnectionActivity, dispatcher: Dispatcher) {
        self.activity = activity
        self.dispatcher = dispatcher
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard context.channel.isWritable, let session = activity.sessionIfNothingPending,
            let outcome = dispatcher.handleNow(frame, session: session)
        else {
            context.fireChannelRead(data)
            return
        }
        let text = ReplyEncoder.encode(outcome.result, tag: outcome.tag, format: session.format, glossary: session.glossary)
        context.write(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
        unflushed = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context)
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The decoder hands over what was left in the buffer before this event, without a
        // read-complete after it.
        if case .inputClosed? = event as? ChannelEvent { flushIfNeeded(context) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        flushIfNeeded(context)
        context.fireChannelInactive()
    }

    private func flushIfNeeded(_ context: ChannelHandlerContext) {
        guard unflushed else { return }
        unflushed = false
        context.flush()
    }
}

/// Counts each request handed to the request loop as in flight the moment it is decoded, and
/// as answered when its reply passes on the way out; so the idle guard never closes a
/// connection with queued requests, and ``ImmediateReplies`` never overtakes one.
final class RequestCounter: ChannelDuplexHandler {
    typealias InboundIn = Frame
    typealias InboundOut = Frame
    typealias OutboundIn = Outgoing
    typealias OutboundOut = ByteBuffer

    let activity: ConnectionActivity

    init(activity: ConnectionActivity) { self.activity = activity }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        activity.state.withLock { $0.inFlight += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .reply(let buffer):
            activity.state.withLock { $0.inFlight -= 1 }
            context.write(wrapOutboundOut(buffer), promise: promise)
        case .other(let buffer):
            context.write(wrapOutboundOut(buffer), promise: promise)
        }
    }
}
