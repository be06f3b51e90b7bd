import Metrics
import FastChatProtocol
import Foundation
import FastChatStore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// A FastChat node: accepts client connections and runs the protocol against the shared store.
///
/// `bind` opens the listening socket (so callers, tests among them, learn the port before serving); `run` serves
/// until the task is cancelled, or until it has drained (a graceful shutdown, or `fastchat drain` seen in the
/// registry: `NodeDrain`); it then stops accepting, closes the connections, flushes the mailbox batch and clears
/// this node's sessions.
public final class ChatNode: Service, Sendable {
    public let localAddress: SocketAddress
    private let serverChannel: NIOAsyncChannel<any Channel, Never>
    private let services: NodeServices
    private let registration: NodeRegistration
    private let drainRequests: AsyncStream<Void>
    private let drainRequested: AsyncStream<Void>.Continuation

    private init(serverChannel: NIOAsyncChannel<any Channel, Never>, services: NodeServices) throws {
        self.serverChannel = serverChannel
        self.services = services
        guard let address = serverChannel.channel.localAddress else {
            throw ProtocolError(.internal, "The listening socket has no address.")
        }
        self.localAddress = address
        let advertised =
            services.configuration.advertisedAddress
            ?? "\(services.configuration.host):\(address.port ?? services.configuration.port)"
        (drainRequests, drainRequested) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        registration = NodeRegistration(services: services, address: advertised) { [drainRequested] in
            drainRequested.yield()
        }
    }

    public static func bind(
        configuration: ServerConfiguration,
        store: any ChatStore,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ChatNode {
        let maxFrameBytes = configuration.maxFrameBytes
        let tls = try configuration.tls?.makeServerContext()
        let channel: NIOAsyncChannel<any Channel, Never>
        do {
            channel = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.autoRead, value: false)
                // NIO keeps each connection's receive buffer for its next read, at 2 KiB to begin with: an idle
                // connection holds it for good. A busy one's grows with its reads, as before.
                .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
                .childChannelOption(
                    .writeBufferWaterMark,
                    value: .init(low: configuration.outboundLowWater, high: configuration.outboundHighWater))
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                        try prepareAcceptedConnection(channel, maxFrameBytes: maxFrameBytes, closedWithListener: true)
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionDeadlines(firstFrame: configuration.firstFrameTimeout, idle: configuration.idleTimeout))
                        return channel
                    }
                }
        } catch let error as IOError {
            let reason = String(cString: strerror(error.errnoCode)).lowercased()
            throw ProtocolError(.internal, "Cannot listen on \(configuration.host):\(configuration.port): \(reason).")
        }
        // Only once the port is ours: a second copy of a running node must not clear the first one's sessions.
        let cleared = try await store.closeSessions(node: configuration.nodeName)
        if cleared > 0 {
            logger.notice("Cleared \(cleared) sessions left by an earlier run of this node")
        }
        let metrics = NodeMetrics(factory: configuration.metricsFactory ?? MetricsSystem.factory)
        let services = try NodeServices(configuration: configuration, store: store, metrics: metrics, logger: logger)
        let node = try ChatNode(serverChannel: channel, services: services)
        try await node.registration.register()
        return node
    }

    /// The most bytes one connection had queued for its peer since the node started (the outbound high-water
    /// mark bounds it, give or take a frame).
    public var peakOutboundBytes: Int { services.outboundPeak.value }

    /// Why this node is not healthy, or nil: it must be in the registry, which also shows that the store answers.
    /// (A bound on how long that may take is the caller's.)
    public func healthProblem() async throws -> String? {
        let name = services.configuration.nodeName
        guard try await services.store.nodes().contains(where: { $0.name == name }) else {
            return "node \(name) is not registered"
        }
        return nil
    }

    /// Brings the gauges that are read, not counted, up to date (before a scrape).
    public func refreshMetrics() async {
        let metrics = services.metrics
        metrics.mailboxPending.record(metrics.figures.mailboxPending)
        var buffered = 0
        for session in services.sessions.all {
            buffered += await session.outbox.bufferedBytes()
        }
        metrics.outboundBuffered.record(buffered)
    }

    /// The other nodes this node has a link to, and those with a link to it.
    func linkedPeers() async -> (outbound: Set<String>, inbound: Set<String>) {
        (await services.links.linkedPeers, services.inboundLinks.peers)
    }

    /// The connections counted against the connection limits now.
    func connectionsCounted() async -> Int {
        await services.connectionCounts.counted
    }

    public func run() async throws {
        let services = self.services
        // Said here, not at bind: under a ServiceGroup its signal handlers are in place by now, so whoever waits
        // for this line (a script, a test) may send SIGTERM at once and get a graceful stop, not a killed process.
        services.logger.info("Node \(services.configuration.nodeName) listening on \(localAddress)")
        await withDiscardingTaskGroup { group in
            group.addTask { await services.links.run() }
            await withDiscardingTaskGroup { commitStages in
                commitStages.addTask { await services.mailbox.run(reporting: services.reportCommitted) }
                let scheduler = ConnectionScheduler()
                await withDiscardingTaskGroup { serving in
                    serving.addTask { await scheduler.run() }
                    await serveUntilStopped(scheduler)
                    // Every connection is closed or closing: the scheduler returns once each one's end has run.
                    scheduler.stop()
                }
                // Every connection has ended: what they submitted is written and reported before the node leaves.
                services.mailbox.finish()
            }
            let others = (try? await services.store.nodes())?.filter { !$0.isLeaving } ?? []
            await services.links.handOver(liveNodes: others)
            await registration.deregister()
            services.links.stop()
        }
        _ = try? await services.store.closeSessions(node: services.configuration.nodeName)
        services.logger.info("Node \(services.configuration.nodeName) stopped")
    }

    /// Serves connections, heartbeats and watches for a drain until the task is cancelled or the node has drained.
    private func serveUntilStopped(_ scheduler: ConnectionScheduler) async {
        let serverChannel = self.serverChannel
        let registration = self.registration
        let drainRequests = self.drainRequests
        let drainRequested = self.drainRequested
        let services = self.services
        await withDiscardingTaskGroup { group in
            group.addTask { await registration.run() }
            group.addTask { await services.openWhenLinked() }
            group.addTask {
                for await _ in drainRequests {
                    await NodeDrain(services: services).run(until: .now + services.configuration.drainTimeout)
                    serverChannel.channel.close(promise: nil)
                    return
                }
            }
            await withGracefulShutdownHandler {
                await acceptConnections(scheduling: scheduler)
            } onGracefulShutdown: {
                drainRequested.yield()
            }
            group.cancelAll()
        }
    }

    /// Serves every connection the listener accepts until it closes; cancelling the caller closes it. A connection
    /// is served by channel handlers (`ConnectionInbound`), not a task, and closing the listener closes it
    /// (`prepareAcceptedConnection(closedWithListener:)`).
    private func acceptConnections(scheduling scheduler: ConnectionScheduler) async {
        let serverChannel = self.serverChannel
        let services = self.services
        await withTaskCancellationHandler {
            do {
                try await serverChannel.executeThenClose { inbound in
                    for try await channel in inbound { Self.serve(channel, services: services, scheduler: scheduler) }
                }
            } catch {
                services.logger.debug("Listening socket closed", metadata: ["error": "\(error)"])
            }
        } onCancel: {
            serverChannel.channel.close(promise: nil)
        }
    }

    /// Gives an accepted connection its protocol state and the handlers that serve it, then starts reading it.
    private static func serve(_ channel: any Channel, services: NodeServices, scheduler: ConnectionScheduler) {
        channel.eventLoop.execute {
            do {
                try adoptAcceptedConnection(channel)
                let connection = ConnectionHandler(
                    services: services, outbox: Outbox(writer: FrameWriter(onLoopOf: channel)),
                    peer: PeerIdentity(channel: channel),
                    // The SHA-256 of this listener's certificate (DER), the same bytes the client hashes.
                    channelBinding: services.configuration.tls?.channelBinding ?? [])
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(
                    WritabilityWatch(stuckAfter: services.configuration.stuckOutboundTimeout, peak: services.outboundPeak),
                    position: .first)
                try pipeline.addHandler(ConnectionInbound(connection, scheduler: scheduler))
                try channel.syncOptions?.setOption(.autoRead, value: true)
            } catch {
                services.logger.debug("Connection closed unserved", metadata: ["error": "\(error)"])
                channel.close(promise: nil)
            }
        }
    }
}
