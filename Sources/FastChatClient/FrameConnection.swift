import FastChatProtocol
import Foundation
import Logging
import NIOCore
import NIOPosix

/// One TCP connection to a node: requests paired with their replies by request id, and the frames the server
/// pushes on its own (request id 0) as a stream.
public actor FrameConnection {
    public nonisolated let pushes: AsyncStream<Frame.OneOf_Body>
    /// What this end puts in every signed login transcript to tie it to this connection (RFC 5929
    /// `tls-server-end-point`: SHA-256 of the server certificate's DER as seen here, once TLS is on; empty on a
    /// plaintext connection). The node puts its own value in; they differ through a man in the middle.
    public nonisolated let channelBinding: [UInt8]
    private let pushContinuation: AsyncStream<Frame.OneOf_Body>.Continuation
    private let outgoing: AsyncStream<Frame>.Continuation
    private let channel: any Channel
    private var nextRequestID: UInt64 = 1
    private var waiting: [UInt64: CheckedContinuation<Frame.OneOf_Body, any Error>] = [:]
    private var closedReason: ProtocolError?
    /// An error the server pushed (request id 0) just before closing, such as a frame it refused.
    private var serverReason: ProtocolError?

    private init(channel: any Channel, outgoing: AsyncStream<Frame>.Continuation, channelBinding: [UInt8]) {
        self.channel = channel
        self.outgoing = outgoing
        self.channelBinding = channelBinding
        (pushes, pushContinuation) = AsyncStream.makeStream(of: Frame.OneOf_Body.self)
    }

    /// Connects and says Hello. A balancer answers with a redirect, which is followed (at most a few hops).
    public static func open(
        to endpoint: Endpoint,
        clientName: String = "fastchat",
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> (FrameConnection, Fastchat_V1_HelloReply) {
        var target = endpoint
        for _ in 0..<4 {
            let connection = try await connect(to: target, eventLoopGroup: eventLoopGroup)
            var hello = Fastchat_V1_Hello()
            hello.protocolVersion = Wire.protocolVersion
            hello.clientName = clientName
            switch try await connection.request(.hello(hello)) {
            case .helloReply(let reply):
                return (connection, reply)
            case .redirect(let redirect):
                await connection.close()
                target = try Endpoint(parsing: redirect.address)
            default:
                await connection.close()
                throw ProtocolError(.badRequest, "The server at \(target) answered Hello with something unexpected.")
            }
        }
        throw ProtocolError(.unavailable, "Too many redirects starting from \(endpoint).")
    }

    private static func connect(to endpoint: Endpoint, eventLoopGroup: any EventLoopGroup) async throws -> FrameConnection {
        let asyncChannel: NIOAsyncChannel<Frame, Frame>
        do {
            asyncChannel = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(.seconds(5))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addFrameCodec()
                        return try NIOAsyncChannel<Frame, Frame>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ProtocolError(.unavailable, "Cannot reach the server at \(endpoint) (\(describe(error))).")
        }
        let (frames, outgoing) = AsyncStream.makeStream(of: Frame.self)
        // TLS: the SHA-256 of the certificate the server presented in this handshake.
        let connection = FrameConnection(channel: asyncChannel.channel, outgoing: outgoing, channelBinding: [])
        Task { await connection.pump(asyncChannel, frames: frames) }
        return connection
    }

    private func pump(_ asyncChannel: NIOAsyncChannel<Frame, Frame>, frames: AsyncStream<Frame>) async {
        do {
            try await asyncChannel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await frame in frames {
                            try await outbound.write(frame)
                        }
                    }
                    for try await frame in inbound {
                        self.received(frame)
                    }
                    group.cancelAll()
                }
            }
        } catch let error as ProtocolError {
            serverReason = serverReason ?? error
        } catch {}
        closed(serverReason ?? ProtocolError(.unavailable, "The connection to the server was closed."))
    }

    private func received(_ frame: Frame) {
        guard let body = frame.body else { return }
        guard frame.requestID != 0 else {
            if case .error(let error) = body { serverReason = ProtocolError(error) }
            pushContinuation.yield(body)
            return
        }
        guard let continuation = waiting.removeValue(forKey: frame.requestID) else { return }
        if case .error(let error) = body {
            continuation.resume(throwing: ProtocolError(error))
        } else {
            continuation.resume(returning: body)
        }
    }

    private func closed(_ reason: ProtocolError) {
        closedReason = reason
        outgoing.finish()
        pushContinuation.finish()
        let pending = waiting
        waiting = [:]
        for continuation in pending.values {
            continuation.resume(throwing: reason)
        }
    }

    /// Sends a request and waits for its reply. An `Error` reply is thrown as a `ProtocolError`.
    public func request(_ body: Frame.OneOf_Body) async throws -> Frame.OneOf_Body {
        if let closedReason { throw closedReason }
        let id = nextRequestID
        nextRequestID += 1
        return try await withCheckedThrowingContinuation { continuation in
            waiting[id] = continuation
            outgoing.yield(Frame(requestID: id, body))
        }
    }

    /// Sends a request without waiting for its reply.
    public func post(_ body: Frame.OneOf_Body) {
        guard closedReason == nil else { return }
        let id = nextRequestID
        nextRequestID += 1
        outgoing.yield(Frame(requestID: id, body))
    }

    public var isClosed: Bool { closedReason != nil }

    public func close() async {
        outgoing.finish()
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
