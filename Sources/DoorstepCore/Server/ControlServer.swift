import CSystemd
import Glibc
public import NIOCore
public import NIOPosix
public import PluginAPI
public import ServiceLifecycle
import Synchronization
public import PluginSupport
public import DoorstepProtocol

/// The control socket: accepts connections, identifies peers, and serves each connection's
/// requests in order while its events are pumped alongside. A `Service`: `run()` serves until
/// graceful shutdown, then stops accepting, lets in-flight requests finish, and returns.
public final class ControlServer: Service, Sendable {
    /// What the child initializer hands the accept loop.
    struct Accepted: Sendable {
        let channel: NIOAsyncChannel<Frame, Outgoing>
        let id: UInt64
        let credentials: doorstep_ucred
        let activity: ConnectionActivity
        /// Connections open when this one was accepted (itself included), in all and for its uid.
        let open: Int
        let openForUID: Int
    }

    let runtime: DaemonRuntime
    let dispatcher: Dispatcher
    let group: any EventLoopGroup
    /// How long shutdown waits for in-flight requests before closing connections.
    let shutdownGrace: Duration
    private let connections = Mutex<[UInt64: any Channel]>([:])
    private let nextID = Atomic<UInt64>(0)
    private let serverChannel = Mutex<(any Channel)?>(nil)

    public init(runtime: DaemonRuntime, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                shutdownGrace: Duration = .seconds(10)) {
        self.runtime = runtime
        self.dispatcher = Dispatcher(runtime: runtime)
        self.group = group
        self.shutdownGrace = shutdownGrace
    }

    public func run() async throws {
        let server = try await bind()
        serverChannel.withLock { $0 = server.channel }
        runtime.watchdogLoop.withLock { $0 = server.channel.eventLoop }
        let notifier = runtime.notifier
        notifier.ready(status: runtime.statusLine)
        runtime.logger.info("serving", metadata: [
            "socket": "\(runtime.socketPath)", "message_id": "\(MessageID.started)",
        ])
        let watchdog = startWatchdog(on: server.channel.eventLoop)
        defer { watchdog?.cancel() }
        let forceClose = Mutex<Task<Void, Never>?>(nil)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { tasks in
                try await server.executeThenClose { inbound in
                    for try await accepted in inbound {
                        tasks.addTask { await self.serve(accepted) }
                    }
                }
            }
        } onGracefulShutdown: {
            notifier.stopping()
            self.runtime.logger.info("stopping: no new connections; finishing in-flight requests",
                                     metadata: ["message_id": "\(MessageID.stopping)"])
            self.serverChannel.withLock { $0 }?.close(promise: nil)
            for channel in self.connections.withLock({ Array($0.values) }) { channel.close(mode: .input, promise: nil) }
            let grace = self.shutdownGrace
            forceClose.withLock {
                $0 = Task {
                    try? await Task.sleep(for: grace)
                    if Task.isCancelled { return }
                    for channel in self.connections.withLock({ Array($0.values) }) { channel.close(promise: nil) }
                }
            }
        }
        forceClose.withLock { $0 }?.cancel()
    }

    /// Binds the configured path, or adopts the socket systemd passed (`FileDescriptorName=control`).
    private func bind() async throws -> NIOAsyncChannel<Accepted, Never> {
        let settings = runtime.config.daemon
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Accepted> = { [self] channel in self.accept(channel) }
        if let fd = try SocketActivation.listeningSocket(named: "control") {
            let path = ListenerSetup.boundPath(fd) ?? "fd \(fd)"
            runtime.servingPath.withLock { $0 = path }
            runtime.logger.info("using the socket passed by systemd", metadata: ["fd": "\(fd)", "socket": "\(path)"])
            return try await bootstrap.bind(fd, childChannelInitializer: initializer)
        }
        try ListenerSetup.preparePath(settings.socket)
        let server = try await bootstrap.bind(unixDomainSocketPath: settings.socket, childChannelInitializer: initializer)
        try ListenerSetup.applyPermissions(settings.socket, mode: settings.socketMode, group: settings.socketGroup)
        return server
    }

    /// Sends `WATCHDOG=1` from the serving event loop at half the interval systemd asked for.
    private func startWatchdog(on loop: any EventLoop) -> RepeatedTask? {
        guard let interval = runtime.notifier.watchdogInterval() else { return nil }
        let half = TimeAmount.microseconds(Int64(interval.components.seconds * 1_000_000
            + interval.components.attoseconds / 1_000_000_000_000) / 2)
        let notifier = runtime.notifier
        notifier.watchdog()
        return loop.scheduleRepeatedTask(initialDelay: half, delay: half) { _ in notifier.watchdog() }
    }

    /// Child channel set-up, on its event loop: peer credentials, limits, framing, idle guard.
    /// User and group look-ups happen later, off the event loop.
    private func accept(_ channel: any Channel) -> EventLoopFuture<Accepted> {
        let open = runtime.openConnections.add(1, ordering: .relaxed).newValue
        runtime.acceptedConnections.add(1, ordering: .relaxed)
        let runtime = self.runtime
        channel.closeFuture.whenComplete { _ in runtime.openConnections.subtract(1, ordering: .relaxed) }
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        // A send buffer of 64 KiB (the kernel doubles what is asked), as a pipe has: the kernel
        // then frees what a peer reads in pieces of at most 32 KiB and reports the socket
        // writable again after 48 KiB are taken, so WriteDeadline sees a slow reader's progress
        // within a second or two (with Linux's default of about 208 KiB, a piece could be 100 KiB
        // and writability return only after 160 KiB). It also bounds what one connection holds
        // in the kernel.
        _ = provider.unsafeSetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_SNDBUF),
                                           value: CInt(32 * 1024))
        let credentials: EventLoopFuture<doorstep_ucred> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return credentials.flatMapThrowing { cred in
            let config = runtime.config.daemon
            let id = self.nextID.add(1, ordering: .relaxed).newValue
            let activity = ConnectionActivity()
            let uid = cred.uid
            let openForUID = runtime.connectionsByUID.withLock { counts -> Int in
                counts[uid, default: 0] += 1
                return counts[uid]!
            }
            channel.closeFuture.whenComplete { _ in
                runtime.connectionsByUID.withLock { counts in
                    counts[uid, default: 1] -= 1
                    if counts[uid] == 0 { counts.removeValue(forKey: uid) }
                }
            }
            let sync = channel.pipeline.syncOperations
            let progress = InputProgress()
            if config.requestTimeoutSeconds > 0 {
                try sync.addHandler(InputDeadline(progress: progress, activity: activity, seconds: config.requestTimeoutSeconds))
            }
            if config.writeTimeoutSeconds > 0 {
                let logger = runtime.logger, seconds = config.writeTimeoutSeconds
                try sync.addHandler(WriteDeadline(seconds: seconds) {
                    logger.warning("connection closed: the peer has not read what was sent to it for \(seconds) s (write_timeout)",
                                   metadata: ["uid": "\(uid)", "pid": "\(cred.pid)", "connection": "\(id)"])
                })
            }
            if config.idleTimeoutSeconds > 0 {
                try sync.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(config.idleTimeoutSeconds))))
                try sync.addHandler(IdleGuard(activity: activity, seconds: config.idleTimeoutSeconds))
            }
            // The role now, from the kernel's credentials, so even the first line's body is
            // screened before any byte of it is kept (the session comes later, off this path).
            let dispatcher = self.dispatcher
            let caller = Caller(uid: cred.uid, gid: cred.gid, pid: cred.pid,
                                role: runtime.access.role(uid: cred.uid, gid: cred.gid))
            let who = "uid \(cred.uid) (\(Identity.userName(cred.uid) ?? "?"))"
            try sync.addHandler(ByteToMessageHandler(FrameDecoder(
                limits: FrameLimits(maxLineBytes: config.maxLineBytes, maxBodyBytes: config.maxBodyBytes),
                budget: runtime.bodyBudget, progress: progress,
                screen: { line in dispatcher.bodyVerdict(line, caller: caller, who: who) })))
            try sync.addHandler(ImmediateReplies(activity: activity, dispatcher: self.dispatcher))
            try sync.addHandler(RequestCounter(activity: activity))
            self.connections.withLock { $0[id] = channel }
            channel.closeFuture.whenComplete { _ in self.connections.withLock { _ = $0.removeValue(forKey: id) } }
            let asyncChannel = try NIOAsyncChannel<Frame, Outgoing>(wrappingChannelSynchronously: channel)
            return Accepted(channel: asyncChannel, id: id, credentials: cred, activity: activity, open: open, openForUID: openForUID)
        }
    }

    /// The session of an accepted peer, or why it is refused.
    private func identify(_ accepted: Accepted) -> (Session, UInt64, AsyncStream<Event>, ControlError?) {
        let cred = accepted.credentials
        let role = runtime.access.role(uid: cred.uid, gid: cred.gid)
        let caller = Caller(uid: cred.uid, gid: cred.gid, pid: cred.pid, role: role)
        let backlog = EventHub.Backlog(limit: runtime.config.daemon.maxSubscriberBacklogBytes, cutOff: cutOff(accepted))
        let (subscriptionID, events) = runtime.hub.subscribe([], backlog: backlog)
        let session = Session(id: accepted.id, caller: caller, userName: Identity.userName(cred.uid) ?? "?",
                              subscriptionID: subscriptionID, activity: accepted.activity, backlog: backlog)
        var refusal = admission(accepted, role: role, who: session.who)
        if refusal == nil, role == .none {
            refusal = .forbidden("\(session.who) has no role on this daemon; ask an admin to add it to [access]")
            runtime.logger.warning("connection refused: no role", metadata: [
                "uid": "\(cred.uid)", "pid": "\(cred.pid)", "message_id": "\(MessageID.forbidden)",
            ])
        }
        return (session, subscriptionID, events, refusal)
    }

    /// Why a connection may not stay open (nil: it may). Non-admins share `max_connections`
    /// and each uid has at most `max_connections_per_user`; admins also get the
    /// `admin_reserved_connections` beyond them, so root can connect while others fill them.
    private func admission(_ accepted: Accepted, role: Role, who: String) -> ControlError? {
        let d = runtime.config.daemon
        let others = accepted.open - 1
        if role == .admin {
            guard accepted.open > d.maxConnections + d.adminReservedConnections else { return nil }
            return .tooManyConnections("\(others) connections are open, the limit is \(d.maxConnections) (max_connections) "
                + "plus \(d.adminReservedConnections) for admins (admin_reserved_connections); try again later")
        }
        if accepted.open > d.maxConnections {
            return .tooManyConnections("\(others) connections are open, the limit is \(d.maxConnections) (max_connections); "
                + "try again later")
        }
        if accepted.openForUID > d.maxConnectionsPerUser {
            return .tooManyConnections("\(who) has \(accepted.openForUID - 1) connections open, the limit per user is "
                + "\(d.maxConnectionsPerUser) (max_connections_per_user); close one and try again")
        }
        return nil
    }

    /// Cuts a connection off whose subscription stopped reading: says why (an event line,
    /// for a client that reads again), then closes even if that line cannot be written.
    private func cutOff(_ accepted: Accepted) -> @Sendable (String) -> Void {
        let channel = accepted.channel.channel, activity = accepted.activity, hub = runtime.hub
        let logger = runtime.logger
        return { message in
            channel.eventLoop.execute {
                activity.state.withLock { $0.cutOff = true }
                logger.warning("subscriber cut off: it does not read its events", metadata: ["connection": "\(accepted.id)"])
                let line = ReplyEncoder.event(name: "daemon.backlog_exceeded", seq: hub.lastSeq, time: ValueParser.iso8601(Int64(time(nil))),
                                              data: ["message": .string(message)], format: activity.state.withLock { $0.format })
                channel.writeAndFlush(NIOAny(Outgoing.other(ByteBuffer(string: line))), promise: nil)
                channel.eventLoop.scheduleTask(in: .milliseconds(200)) { channel.close(promise: nil) }
            }
        }
    }

    /// Serves one connection until it quits, closes, or the daemon stops, on the connection's event loop.
    private func serve(_ accepted: Accepted) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(accepted.channel.channel.eventLoop)) {
            await serveOnLoop(accepted)
        }
    }

    private func serveOnLoop(_ accepted: Accepted) async {
        let dispatcher = self.dispatcher
        let (session, subscriptionID, events, refusal) = identify(accepted)
        defer {
            runtime.hub.remove(subscriptionID)
            // A cut-off subscriber's queue was large: give the freed memory back to the system.
            // Off the event loop: trimming a large heap can take milliseconds.
            if accepted.activity.state.withLock({ $0.cutOff }) { Task.detached { _ = doorstep_malloc_trim() } }
        }
        // A viewer's events are masked by the one privacy policy (operators see them whole).
        let eventMask = Self.eventMask(for: session.caller, runtime.host.privacy)
        do {
            try await accepted.channel.executeThenClose { inbound, outbound in
                if let refusal {
                    try await outbound.write(.other(ByteBuffer(string: ReplyEncoder.encode(.failure(refusal), tag: nil, format: .text))))
                    return
                }
                accepted.activity.state.withLock { $0.session = session }
                // The session refers to the activity: break the cycle when the connection ends.
                defer { accepted.activity.state.withLock { $0.session = nil } }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { [runtime] in
                        let host = runtime.host
                        let pump = EventPump(session: session, hub: runtime.hub, store: host.store, zone: { host.zone }, mask: eventMask) { line in
                            try await outbound.write(.other(ByteBuffer(string: line)))
                        }
                        try await pump.run(events)
                    }
                    for try await frame in inbound {
                        let outcome = await dispatcher.handle(frame, session: session)
                        let text = ReplyEncoder.encode(outcome.result, tag: outcome.tag, format: session.format, glossary: session.glossary)
                        try await outbound.write(.reply(ByteBuffer(string: text)))
                        // A replay starts once its subscribe reply is out, so it follows the reply.
                        if session.takePoke() { runtime.hub.poke(subscriptionID) }
                        if outcome.close { break }
                    }
                    group.cancelAll()
                }
            }
        } catch {
            runtime.logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }

    /// How a connection's events are masked: a viewer's by the plugins' sensitive fields.
    static func eventMask(for caller: Caller, _ privacy: PrivacyPolicy) -> (@Sendable (Event) -> Event)? {
        if caller.role > .viewer { return nil }
        let mask: @Sendable (Event) -> Event = { privacy.viewerEvent($0) }
        return mask
    }
}
