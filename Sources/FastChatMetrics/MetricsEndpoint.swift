import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Plain HTTP on its own port: `GET /metrics` (the registry in the Prometheus text format) and `GET /health`
/// (200 or 503 with a one-line reason). One request per connection, answered and closed.
///
/// `bind` opens the socket (so callers, tests among them, learn the port before serving); `run` serves until the
/// task is cancelled or a graceful shutdown is signalled.
public final class MetricsEndpoint: Service, Sendable {
    /// Called before each scrape: figures read rather than counted (process memory, gauges) are refreshed here.
    public typealias Refresh = @Sendable () async -> Void
    public typealias HealthCheck = @Sendable () async -> Health

    public let localAddress: SocketAddress
    private let serverChannel: NIOAsyncChannel<any Channel, Never>
    private let responder: MetricsResponder
    private let logger: Logger

    private init(serverChannel: NIOAsyncChannel<any Channel, Never>, responder: MetricsResponder, logger: Logger) throws {
        guard let address = serverChannel.channel.localAddress else {
            throw MetricsEndpointError(message: "The metrics socket has no address.")
        }
        self.localAddress = address
        self.serverChannel = serverChannel
        self.responder = responder
        self.logger = logger
    }

    public static func bind(
        host: String,
        port: Int,
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        refresh: @escaping Refresh = {},
        health: @escaping HealthCheck,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> MetricsEndpoint {
        let channel: NIOAsyncChannel<any Channel, Never>
        do {
            channel = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                // Not read until a task serves it, so a connection accepted as the listener closes is simply closed.
                .childChannelOption(.autoRead, value: false)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        channel.parent?.closeFuture.whenComplete { _ in channel.close(promise: nil) }
                        return channel
                    }
                }
        } catch let error as IOError {
            let reason = String(cString: strerror(error.errnoCode)).lowercased()
            throw MetricsEndpointError(message: "Cannot serve metrics on \(host):\(port): \(reason).")
        }
        return try MetricsEndpoint(
            serverChannel: channel, responder: MetricsResponder(registry: registry, refresh: refresh, health: health),
            logger: logger)
    }

    public func run() async throws {
        let serverChannel = self.serverChannel
        logger.info("Metrics on http://\(localAddress.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "?"):\(localAddress.port ?? 0)/metrics")
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withDiscardingTaskGroup { group in
                    do {
                        try await serverChannel.executeThenClose { inbound in
                            for try await connection in inbound {
                                group.addTask { await self.serve(connection) }
                            }
                        }
                    } catch {
                        logger.debug("Metrics socket closed", metadata: ["error": "\(error)"])
                    }
                }
            } onCancel: {
                serverChannel.channel.close(promise: nil)
            }
        } onGracefulShutdown: {
            serverChannel.channel.close(promise: nil)
        }
    }

    /// A scrape is one small request: a connection that has not finished its exchange by then is closed, so sockets
    /// that say nothing (or dribble a request) cannot pile up on a port that may face a network.
    static let exchangeDeadline = TimeAmount.seconds(10)

    private func serve(_ channel: any Channel) async {
        let deadline = channel.eventLoop.scheduleTask(in: Self.exchangeDeadline) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        do {
            let connection = try await channel.eventLoop.submit {
                let connection = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                    wrappingChannelSynchronously: channel)
                try channel.syncOptions?.setOption(.autoRead, value: true)
                return connection
            }.get()
            try await connection.executeThenClose { inbound, outbound in
                var request: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let head): request = head
                    case .body: continue
                    case .end:
                        guard let request else { return }
                        let response = await responder.respond(to: request)
                        try await write(response, version: request.version, to: outbound)
                        return
                    }
                }
            }
        } catch {
            channel.close(promise: nil)
            logger.debug("Metrics connection closed", metadata: ["error": "\(error)"])
        }
    }

    private func write(
        _ response: MetricsResponse, version: HTTPVersion, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        headers.add(name: "Connection", value: "close")
        try await outbound.write(contentsOf: [
            .head(HTTPResponseHead(version: version, status: response.status, headers: headers)),
            .body(.byteBuffer(ByteBuffer(bytes: response.body))), .end(nil),
        ])
    }
}

public struct MetricsEndpointError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
