import NIOCore
import Glibc

/// Closes a connection whose peer stopped reading: the daemon's send buffer to it has stayed
/// full (the channel unwritable) for `write_timeout` with nothing taken from it.
///
/// Neither other deadline sees such a peer: a client that pipelines requests and never reads
/// the replies keeps a request in flight (the daemon is waiting to write its reply, so it is
/// not idle and its input clock is stopped), and it would hold its connection slot for ever.
/// Nothing can be said to a peer that does not read: the close is logged instead.
///
/// "Nothing taken" is judged by what the peer consumes, not by writability alone. A Unix socket
/// reports itself writable again only once three quarters of its send buffer have drained
/// (Linux's `unix_writable`), and NIO waits for that before writing more, so a slow reader (a
/// large export over a slow pipe, one reply at a time) can keep the channel unwritable, with no
/// write completing, for far longer than `write_timeout` while it does keep reading. So four times
/// a second while the channel is unwritable the handler asks the kernel how many bytes are still
/// queued to the peer (`SO_MEMINFO`'s write allocation): if that fell, or a write completed, the
/// peer read, and the deadline starts again. Only a peer that takes nothing for the whole time
/// is closed.
final class WriteDeadline: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let seconds: Int
    /// Called on the event loop just before the close (logging, with who the peer is).
    let onTimeout: @Sendable () -> Void
    private var timer: Scheduled<Void>?
    /// When the peer was last seen taking something: a write completed or the queue fell.
    private var lastProgress = NIODeadline.now()
    /// Bytes queued to the peer at the last look, if the kernel says.
    private var lastQueued: UInt32?

    init(seconds: Int, onTimeout: @escaping @Sendable () -> Void) {
        self.seconds = seconds
        self.onTimeout = onTimeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // A write's promise succeeds once its bytes are in the kernel's buffer, which had room
        // only because the peer read: that is progress.
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.assumeIsolated().whenSuccess { _ in self.lastProgress = .now() }
        context.write(data, promise: written)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            timer?.cancel()
            timer = nil
        } else if timer == nil {
            lastProgress = .now()
            lastQueued = nil
            look(context: context)
        }
        // The async channel's writer waits on writability: it must see every change.
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    /// Samples the peer's queue, then closes if nothing was taken for `write_timeout`, or looks
    /// again in a second (or at the deadline, if that comes first).
    private func look(context: ChannelHandlerContext) {
        let queued = Self.queuedBytes(context.channel)
        if let queued, let before = lastQueued, queued < before { lastProgress = .now() }
        lastQueued = queued
        let due = lastProgress + .seconds(Int64(seconds))
        if due <= .now() {
            onTimeout()
            context.close(promise: nil)
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: min(due, .now() + .milliseconds(250))) {
            let (handler, context) = bound.value
            handler.timer = nil
            guard !context.channel.isWritable, context.channel.isActive else { return }
            handler.look(context: context)
        }
    }

    /// `getsockopt(SO_MEMINFO)`: the kernel's memory counters for the socket, of which the
    /// write allocation is what is sent but not yet read by the peer (with its overhead).
    private struct MemInfo: Sendable {
        var counters: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
            = (0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// Bytes queued to the peer, or nil where the channel cannot say (not a socket).
    private static func queuedBytes(_ channel: any Channel) -> UInt32? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        var queued: UInt32?
        // On the event loop the option is read at once: the future is already complete.
        let info: EventLoopFuture<MemInfo> = provider.unsafeGetSocketOption(
            level: .init(rawValue: SOL_SOCKET), name: .init(rawValue: SO_MEMINFO))
        info.assumeIsolated().whenSuccess { queued = $0.counters.2 }  // SK_MEMINFO_WMEM_ALLOC
        return queued
    }
}
