import FastChatClient
import FastChatCrypto
import FastChatProtocol
import FastChatTLS
import Foundation
import NIOCore
import NIOPosix

/// The async face of a `BenchConnection`: setup requests hop onto its event loop and wait for the reply.
struct BenchChannel: Sendable {
    let channel: any Channel
    let connection: NIOLoopBound<BenchConnection>
    /// Signed into every login proof, as by a real client (`FrameConnection.channelBinding`); empty without TLS.
    var channelBinding: [UInt8]

    /// Connects through a balancer or straight to a node, following redirects, and says Hello. `receiveBuffer`
    /// (bytes) caps the socket's receive buffer, and so the TCP window it offers.
    static func open(
        to endpoint: Endpoint, tls: ClientTLS?, load: NIOLoopBound<LoopLoad>, receiveBuffer: Int? = nil
    ) async throws -> (BenchChannel, String) {
        var target = endpoint
        var tls = tls
        for _ in 0..<4 {
            var (channel, check) = try await connect(to: target, tls: tls, load: load, receiveBuffer: receiveBuffer)
            let reply: Frame.OneOf_Body
            do {
                reply = try await channel.request(
                    .hello(.with { $0.protocolVersion = Wire.protocolVersion; $0.clientName = "fastchat-bench" }))
            } catch {
                if let failure = await check?.failure { throw failure }
                throw error
            }
            if let check, let verified = await check.verified {
                tls = tls?.trusting(verified.trustForRedirects)
                channel.channelBinding = verified.channelBinding
            }
            switch reply {
            case .helloReply(let hello):
                try await channel.onLoop {
                    $0.nodeName = hello.nodeName
                    $0.quietAcks = hello.protocolVersion >= Wire.quietAcksVersion
                }
                return (channel, hello.nodeName)
            case .redirect(let redirect):
                try? await channel.channel.close()
                target = try Endpoint(parsing: redirect.address)
            default:
                try? await channel.channel.close()
                throw ProtocolError(.badRequest, "\(target) answered Hello with something unexpected.")
            }
        }
        throw ProtocolError(.unavailable, "Too many redirects starting from \(endpoint).")
    }

    private static func connect(
        to endpoint: Endpoint, tls: ClientTLS?, load: NIOLoopBound<LoopLoad>, receiveBuffer: Int?
    ) async throws -> (BenchChannel, ServerCheck?) {
        let channel: any Channel
        let check: ServerCheck?
        var bootstrap = ClientBootstrap(group: load.eventLoop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if let receiveBuffer {
            // Set before connecting: the window scale is agreed in the handshake.
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        do {
            (channel, check) = try await bootstrap
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let check = try tls?.addHandler(to: channel, host: endpoint.host, port: endpoint.port)
                        try channel.pipeline.syncOperations.addFrameCodec()
                        try channel.pipeline.syncOperations.addHandler(BenchConnection(load: load.value))
                        return (channel, check)
                    }
                }
        } catch {
            throw ProtocolError(.unavailable, "Cannot reach \(endpoint): \(error)")
        }
        let connection = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: BenchConnection.self), eventLoop: channel.eventLoop)
        }.get()
        return (BenchChannel(channel: channel, connection: connection, channelBinding: []), check)
    }

    func request(_ body: Frame.OneOf_Body) async throws -> Frame.OneOf_Body {
        let connection = self.connection
        return try await channel.eventLoop.flatSubmit { connection.value.request(body) }.get()
    }

    /// The challenge in the reply to `body` (GetChallenge, GetAuthParams or GetGroupAuthParams).
    func challenge(_ body: Frame.OneOf_Body) async throws -> Data {
        switch try await request(body) {
        case .challenge(let reply): return reply.challenge
        case .authParams(let reply): return reply.challenge
        default: throw ProtocolError(.internal, "The node answered a challenge request with something unexpected.")
        }
    }

    /// `signer`'s login proof over `challenge` on this connection.
    func sign(
        _ purpose: LoginProof.Purpose, subject: String, actor: String, by signer: LoginKey, challenge: Data
    ) throws -> Data {
        try signer.sign(
            LoginProof.transcript(
                purpose, subject: subject, actor: actor, loginKey: signer.publicKey, challenge: challenge,
                channelBinding: Data(channelBinding)))
    }

    /// Runs `body` on the connection's event loop.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (BenchConnection) -> T) async throws -> T {
        let connection = self.connection
        return try await channel.eventLoop.submit { body(connection.value) }.get()
    }
}
