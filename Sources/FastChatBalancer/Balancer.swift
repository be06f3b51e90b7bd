import FastChatProtocol
import FastChatStore
import FastChatTLS
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The distribution server (DESIGN §2, §9). Not a proxy: every connection gets one answer, then is closed.
///
/// The first frame decides the answer:
/// - `Hello` (version checked as a node checks it) → `Redirect` to the live node the strategy picks, or
///   `Error{UNAVAILABLE}` when no node is alive;
/// - `GetStatus` → `ClusterStatus`: the strategy and every registered node, dead ones included;
/// - anything else → `Error{BAD_REQUEST}`.
///
/// `bind` reads the registry once and opens the listening socket (so callers, tests among them, learn the port
/// before serving); `run` serves, re-reading the registry every `refreshInterval`, until the task is cancelled or a
/// graceful shutdown is signalled.
public final class Balancer: Service, Sendable {
    public let localAddress: SocketAddress
    public let table: NodeTable
    private let configuration: BalancerConfiguration
    private let serverChannel: NIOAsyncChannel<any Channel, Never>
    private let probe: NodeProbe
    private let store: any ChatStore
    private let metrics: BalancerMetrics
    private let logger: Logger

    private init(
        configuration: BalancerConfiguration,
        table: NodeTable,
        store: any ChatStore,
        serverChannel: NIOAsyncChannel<any Channel, Never>,
        logger: Logger
    ) throws {
        self.configuration = configuration
        self.table = table
        self.store = store
        metrics = BalancerMetrics(
            factory: configuration.metricsFactory ?? MetricsSystem.factory, strategy: configuration.strategy)
        probe = NodeProbe(
            table: table, tls: try configuration.tls.map { try ClientTLS(trust: try $0.clusterTrust()) },
            timeout: configuration.probeTimeout, logger: logger)
        self.serverChannel = serverChannel
        self.logger = logger
        guard let address = serverChannel.channel.localAddress else {
            throw ProtocolError(.internal, "The listening socket has no address.")
        }
        self.localAddress = address
    }

    public static func bind(
        configuration: BalancerConfiguration,
        store: any ChatStore,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Balancer {
        let table = NodeTable(
            store: store,
            strategy: configuration.strategy.makeStrategy(blockSize: configuration.blockSize),
            deadAfter: configuration.deadAfter,
            logger: logger
        )
        try await table.refresh()
        let tls = try configuration.tls?.makeServerContext()
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: false)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try prepareAcceptedConnection(channel)
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionDeadlines(firstFrame: configuration.firstFrameTimeout, idle: nil))
                    return channel
                }
            }
        return try Balancer(configuration: configuration, table: table, store: store, serverChannel: channel, logger: logger)
    }

    /// Why this balancer is not healthy, or nil: its store must answer (it places clients from the registry there).
    /// (A bound on how long that may take is the caller's.)
    public func healthProblem() async throws -> String? {
        _ = try await store.nodes()
        return nil
    }

    public func run() async throws {
        let serverChannel = self.serverChannel
        // Said once serving starts (see ChatNode.run): a SIGTERM right after it stops the balancer gracefully.
        logger.info("Balancer listening on \(localAddress), strategy \(configuration.strategy.rawValue)")
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.table.refresh(every: self.configuration.refreshInterval) }
                let logger = self.logger
                let metrics = self.metrics
                await serveConnections(
                    of: serverChannel, limits: ConnectionCounts(self.configuration.connectionLimits),
                    onRefused: { metrics.refused($0.code == .rateLimited) }
                ) { error in
                    logger.debug("Listening socket closed", metadata: ["error": "\(error)"])
                } _: { connection in
                    await self.serve(connection)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            serverChannel.channel.close(promise: nil)
        }
        logger.info("Balancer stopped")
    }

    private func serve(_ connection: NIOAsyncChannel<Frame, Frame>) async {
        metrics.connectionsAccepted.increment()
        metrics.connections.increment()
        defer { metrics.connections.decrement() }
        var logger = self.logger
        logger[metadataKey: "peer"] = "\(connection.channel.remoteAddress.map { "\($0)" } ?? "?")"
        do {
            try await connection.executeThenClose { inbound, outbound in
                guard let frame = try await inbound.firstFrame(within: configuration.firstFrameTimeout) else { return }
                try await outbound.write(await answer(frame, logger: logger))
            }
        } catch is FrameTimeout {
            logger.debug("No frame in time; connection closed")
        } catch {
            logger.debug("Connection closed", metadata: ["error": "\(error)"])
        }
    }

    private func answer(_ frame: Frame, logger: Logger) async -> Frame {
        let requestID = frame.requestID
        switch frame.body {
        case .hello(let hello):
            // The node the client is sent to agrees the version; a version no node speaks is refused here.
            guard Wire.supportedVersions.contains(hello.protocolVersion) else {
                return .error(
                    .unsupportedVersion,
                    "Protocol version \(hello.protocolVersion) is not supported; this server speaks versions 1 to \(Wire.protocolVersion).",
                    requestID: requestID
                )
            }
            await probe.check(reported: hello.unreachableNodes)
            guard let node = await table.place() else {
                metrics.placementFailures.increment()
                logger.warning("No chat node is available for a client")
                return .error(.unavailable, "No chat node is available.", requestID: requestID)
            }
            metrics.placed(on: node.name)
            logger.debug("Redirected", metadata: ["node": "\(node.name)", "client": "\(hello.clientName)"])
            var redirect = Fastchat_V1_Redirect()
            redirect.address = node.address
            redirect.nodeName = node.name
            return Frame(requestID: requestID, .redirect(redirect))
        case .getStatus:
            return Frame(requestID: requestID, .clusterStatus(await status()))
        default:
            return .error(
                .badRequest, "The first message to a balancer must be Hello (or GetStatus).", requestID: requestID)
        }
    }

    private func status() async -> Fastchat_V1_ClusterStatus {
        var status = Fastchat_V1_ClusterStatus()
        status.strategy = configuration.strategy.rawValue
        status.nodes = await table.view().map { view in
            var node = Fastchat_V1_NodeStatus()
            node.name = view.record.name
            node.address = view.record.address
            node.pid = Int64(view.record.pid)
            node.alive = view.alive
            node.connections = UInt32(clamping: view.record.connections)
            node.messagesPerSecond = view.record.messagesPerSecond
            node.mailboxPending = UInt64(clamping: view.record.mailboxPending)
            return node
        }
        return status
    }
}
