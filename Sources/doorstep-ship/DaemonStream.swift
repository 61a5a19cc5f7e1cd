import DoorstepValues
import NIOCore
import NIOPosix
import ShipCore

/// Why the daemon will not give the stream from the cursor, with what to do (docs/district.md).
enum DaemonRefusal: Error, CustomStringConvertible {
    /// The journal no longer holds `from` (compacted into snapshots): `oldest` is the first kept.
    case compacted(community: String, from: UInt64, oldest: UInt64?, message: String)
    /// The district has more of this community than the daemon's journal: another daemon, or
    /// a state restored from an older backup.
    case behindDistrict(community: String, cursor: UInt64, message: String)

    var description: String {
        switch self {
        case .compacted(let community, let from, let oldest, let message):
            return "community \(community): the daemon no longer has the events from seq \(from) in its journal (\(message)). "
                + "They were compacted into snapshots before they were shipped, so the district cannot get them from the stream. "
                + "To go on from what the journal still holds\(oldest.map { " (seq \($0) on)" } ?? ""), run doorstep-ship once with "
                + "--resume-from-oldest: the missing range is recorded in district.gaps. To keep this from happening, keep the "
                + "shipper running (the journal is kept until snapshots cover it: [daemon] snapshot_every_events)"
        case .behindDistrict(let community, let cursor, let message):
            return "community \(community): the district already has this community's events up to seq \(cursor), but this daemon's "
                + "journal ends before that (\(message)). Either [ship] community names another community's daemon, or this "
                + "daemon's state was restored from an older backup. Fix the name, or (after a restore) give this daemon a new "
                + "community name; nothing is shipped until then"
        }
    }
}

/// One connection to `doorstepd` in JSON mode: `hello`, then `subscribe * from=SEQ`, then events.
final class DaemonStream {
    typealias Channel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    let channel: Channel

    private init(channel: Channel) { self.channel = channel }

    /// Connects to the socket at `path`.
    static func connect(path: String) async throws -> DaemonStream {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Channel(wrappingChannelSynchronously: channel)
                }
            }
        return DaemonStream(channel: channel)
    }

    /// Closes the connection (from any task): the reader's loop ends.
    func close() { channel.channel.close(promise: nil) }
}

/// Reads lines from a connection's inbound stream.
struct LineReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var splitter = LineSplitter()
    var ready: [[UInt8]] = []
    var index = 0

    init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) { iterator = inbound.makeAsyncIterator() }

    /// The next line, or nil when the daemon closed the connection.
    mutating func next() async throws -> [UInt8]? {
        while index == ready.count {
            guard let chunk = try await iterator.next() else { return nil }
            ready = try chunk.withUnsafeReadableBytes { try splitter.push($0) }
            index = 0
        }
        defer { index += 1 }
        return ready[index]
    }

    /// Every complete line already read, without waiting (the rest of a chunk).
    var hasBuffered: Bool { index < ready.count }

    /// The next reply (events before it are an error: none is subscribed yet).
    mutating func reply(to request: String) async throws -> StreamReply {
        guard let line = try await next() else {
            throw StreamError.malformed("the daemon closed the connection instead of answering '\(request)'")
        }
        switch try StreamLine.parse(line) {
        case .reply(let reply): return reply
        case .event(let e): throw StreamError.malformed("event \(e.name) before the reply to '\(request)'")
        }
    }
}
