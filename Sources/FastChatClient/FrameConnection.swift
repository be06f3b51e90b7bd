import FastChatProtocol
import FastChatTLS
import Foundation
import Logging
import NIOCore
import NIOPosix

/// One TCP connection to a node: requests paired with their replies by request id, and the frames the server
/// pushes on its own (request id 0) as a stream. The pairing lives on the channel's event loop (`FrameExchange`),
/// so the connection runs no task of its own: closing the channel ends all of its work.
public actor FrameConnection {
    /// The pushes, unless the connection was opened with a `news` receiver of its own (then this stream is empty).
    public nonisolated let pushes: AsyncStream<Frame.OneOf_Body>
    private let pushContinuation: AsyncStream<Frame.OneOf_Body>.Continuation
    private let channel: any Channel
    private let exchange: NIOLoopBound<FrameExchange>
    /// What this end puts in every signed login transcript to tie it to this connection (RFC 5929
    /// `tls-server-end-point`: SHA-256 of the server certificate's DER as verified here; empty on a plaintext
    /// connection). The node puts its own value in; they differ through a man in the middle.
    public private(set) var channelBinding: [UInt8] = []

    /// Receives a connection's news on its event loop, in order; it must not block.
    typealias NewsReceiver = @Sendable (FrameConnection, ConnectionNews) -> Void

    /// Call on the channel's event loop, before the channel is active, so no push comes before `news` is set.
    private init(channel: any Channel, exchange: FrameExchange, news: NewsReceiver?) {
        self.channel = channel
        self.exchange = NIOLoopBound(exchange, eventLoop: channel.eventLoop)
        (pushes, pushContinuation) = AsyncStream.makeStream(of: Frame.OneOf_Body.self)
        if let news {
            pushContinuation.finish()
            // Holds this connection until the close, as the channel's own handler; the close drops it.
            exchange.news = { [self] in news(self, $0) }
        } else {
            exchange.news = { [pushContinuation] news in
                switch news {
                case .push(let body): pushContinuation.yield(body)
                case .closed: pushContinuation.finish()
                }
            }
        }
    }

    /// Connects (over TLS unless `tls` is nil) and says Hello. A balancer answers with a redirect to a node, which
    /// is verified against the CA the balancer was verified with. A node that refuses the connection or does not
    /// answer within `answerTimeout` is reported to the balancer, which is asked again (a few times), so a node
    /// that just died or froze costs a command seconds, not its success. A server that is not trusted throws
    /// `ServerNotTrusted` before any frame reaches it, and is never retried. `protocolVersion`: the highest version
    /// to speak (the reply says the one the connection uses).
    public static func open(
        to endpoint: Endpoint,
        tls: ClientTLS?,
        clientName: String = "fastchat",
        protocolVersion: UInt32 = Wire.protocolVersion,
        answerTimeout: Duration = .seconds(5),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> (FrameConnection, Fastchat_V1_HelloReply) {
        try await open(
            to: endpoint, tls: tls, clientName: clientName, protocolVersion: protocolVersion,
            answerTimeout: answerTimeout, eventLoopGroup: eventLoopGroup, news: nil)
    }

    /// `open`, with every connection it makes telling `news` (instead of `pushes`) what the server pushes and when
    /// it closes.
    static func open(
        to endpoint: Endpoint,
        tls: ClientTLS?,
        clientName: String = "fastchat",
        protocolVersion: UInt32 = Wire.protocolVersion,
        answerTimeout: Duration = .seconds(5),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        news: NewsReceiver?
    ) async throws -> (FrameConnection, Fastchat_V1_HelloReply) {
        var unreachable: [String] = []
        var lastFailure: ProtocolError?
        for _ in 0..<maxNodeAttempts {
            let (connection, answer, nodeTLS) = try await greet(
                endpoint, tls: tls, clientName: clientName, unreachable: unreachable, answerTimeout: answerTimeout,
                eventLoopGroup: eventLoopGroup, version: protocolVersion, news: news)
            switch answer {
            case .helloReply(let reply):
                await connection.keepAlive(nodeIdleTimeout: reply.idleTimeoutSeconds)
                return (connection, reply)
            case .redirect(let redirect):
                await connection.close()
                let target = try Endpoint(parsing: redirect.address)
                do {
                    let (node, nodeAnswer, _) = try await greet(
                        target, tls: nodeTLS, clientName: clientName, unreachable: [], answerTimeout: answerTimeout,
                        eventLoopGroup: eventLoopGroup, version: protocolVersion, news: news)
                    guard case .helloReply(let reply) = nodeAnswer else {
                        await node.close()
                        throw ProtocolError(.badRequest, "The node at \(target) answered Hello with something unexpected.")
                    }
                    await node.keepAlive(nodeIdleTimeout: reply.idleTimeoutSeconds)
                    return (node, reply)
                } catch let error as ProtocolError where error.code == .unavailable {
                    unreachable.append(redirect.nodeName)
                    lastFailure = error
                }
            default:
                await connection.close()
                throw ProtocolError(.badRequest, "The server at \(endpoint) answered Hello with something unexpected.")
            }
        }
        throw lastFailure ?? ProtocolError(.unavailable, "No node answered through \(endpoint).")
    }

    /// Pings often enough that the node's idle timeout never ends this connection while this end lives, and takes
    /// the node for gone when even pings go unanswered (see `KeepAlive`).
    private func keepAlive(nodeIdleTimeout seconds: UInt32) {
        guard seconds > 0 else { return }
        let interval = Duration.milliseconds(max(1000, Int(seconds) * 1000 / 3))
        let channel = self.channel
        channel.eventLoop.execute {
            try? channel.pipeline.syncOperations.handler(type: KeepAlive.self).start(interval: interval)
        }
    }

    /// Nodes a client tries through a balancer before it gives up.
    static let maxNodeAttempts = 3

    /// Connects to `target`, says Hello and returns the answer, with the trust for a node it redirects to. A server
    /// from before `version` refuses it: the client connects again and speaks the version below (down to 1; it
    /// handles the pushes of each).
    private static func greet(
        _ target: Endpoint, tls: ClientTLS?, clientName: String, unreachable: [String], answerTimeout: Duration,
        eventLoopGroup: any EventLoopGroup, version: UInt32, news: NewsReceiver?
    ) async throws -> (FrameConnection, Frame.OneOf_Body, ClientTLS?) {
        let (connection, check) = try await connect(to: target, tls: tls, eventLoopGroup: eventLoopGroup, news: news)
        var hello = Fastchat_V1_Hello()
        hello.protocolVersion = version
        hello.clientName = clientName
        hello.unreachableNodes = unreachable
        let answer: Frame.OneOf_Body
        do {
            answer = try await connection.request(.hello(hello), within: answerTimeout, from: target)
        } catch let error as ProtocolError where error.code == .unsupportedVersion && version > 1 {
            await connection.close()
            return try await greet(
                target, tls: tls, clientName: clientName, unreachable: unreachable, answerTimeout: answerTimeout,
                eventLoopGroup: eventLoopGroup, version: version - 1, news: news)
        } catch {
            if let failure = await check?.failure { throw failure }
            throw error
        }
        guard let check else { return (connection, answer, nil) }
        // A reply came, so the handshake finished, and it finishes only once the server was verified.
        guard let verified = await check.verified else {
            await connection.close()
            throw ProtocolError(.unavailable, "The server at \(target) was not verified.")
        }
        await connection.bind(to: verified.channelBinding)
        return (connection, answer, tls?.trusting(verified.trustForRedirects))
    }

    /// `request`, but a server that has not answered within `timeout` is hung up on: `UNAVAILABLE`.
    private func request(
        _ body: Frame.OneOf_Body, within timeout: Duration, from target: Endpoint
    ) async throws -> Frame.OneOf_Body {
        try await withThrowingTaskGroup(of: Frame.OneOf_Body?.self) { group in
            group.addTask { try await self.request(body) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let answer = first else {
                // Closing ends the waiting request too, so the group does not wait for an answer that never comes.
                await close()
                throw ProtocolError(.unavailable, "The server at \(target) did not answer within \(timeout).")
            }
            return answer
        }
    }

    private static func connect(
        to endpoint: Endpoint, tls: ClientTLS?, eventLoopGroup: any EventLoopGroup, news: NewsReceiver?
    ) async throws -> (FrameConnection, ServerCheck?) {
        do {
            return try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(.seconds(5))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let check = try tls?.addHandler(to: channel, host: endpoint.host, port: endpoint.port)
                        try channel.pipeline.syncOperations.addFrameCodec()
                        try channel.pipeline.syncOperations.addHandler(KeepAlive())
                        let exchange = FrameExchange(eventLoop: channel.eventLoop)
                        try channel.pipeline.syncOperations.addHandler(exchange)
                        return (FrameConnection(channel: channel, exchange: exchange, news: news), check)
                    }
                }
        } catch {
            throw ProtocolError(.unavailable, "Cannot reach the server at \(endpoint) (\(describe(error))).")
        }
    }

    private func bind(to channelBinding: [UInt8]) {
        self.channelBinding = channelBinding
    }

    /// Sends a request and waits for its reply. An `Error` reply is thrown as a `ProtocolError`.
    public func request(_ body: Frame.OneOf_Body) async throws -> Frame.OneOf_Body {
        let exchange = self.exchange
        return try await withCheckedThrowingContinuation { answer in
            exchange.eventLoop.execute { exchange.value.send(body, answer: answer) }
        }
    }

    /// Sends a request without waiting for its reply.
    public func post(_ body: Frame.OneOf_Body) {
        let exchange = self.exchange
        exchange.eventLoop.execute { exchange.value.send(body, answer: nil) }
    }

    /// Sends a frame under request id 0, which nothing answers on success: from protocol version 3
    /// (`Wire.quietAcksVersion`) an `Ack` sent so is answered only if it fails, with an `Error` among the pushes.
    /// An answered `Ack` is answered only once every earlier `Ack` of the connection is done, so a client that acks
    /// quietly sends an answered one (it may be empty) before it leaves.
    public func notify(_ body: Frame.OneOf_Body) {
        let exchange = self.exchange
        exchange.eventLoop.execute { exchange.value.send(body, answer: nil, quietly: true) }
    }

    public var isClosed: Bool {
        get async {
            let exchange = self.exchange
            return (try? await exchange.eventLoop.submit { exchange.value.closedReason != nil }.get()) ?? true
        }
    }

    /// Returns once every request sent so far has its answer (or the connection closed), or after `limit`.
    func waitUntilAnswered(within limit: Duration) async {
        let exchange = self.exchange
        try? await exchange.eventLoop.flatSubmit { exchange.value.allAnswered(within: TimeAmount(limit)) }.get()
    }

    public func close() async {
        try? await channel.close()
    }
}

/// The short reason a connection attempt failed, for a one-sentence error.
private func describe(_ error: any Error) -> String {
    if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
        return describe(first.error)
    }
    if let error = error as? IOError {
        return String(cString: strerror(error.errnoCode)).lowercased()
    }
    if error is ChannelError { return "timed out" }
    return "\(error)"
}
