import FastChatClient
import FastChatProtocol
import FastChatTLS
import NIOCore
import NIOPosix
import NIOSSL

/// A TCP proxy that forwards every connection to `upstream` and records what each client sent: the bytes an
/// attacker on the path of a plaintext connection would capture. With `tls`, it is a man in the middle of TLS that
/// the client trusts (it holds a certificate of the client's CA, stolen or mis-issued): it terminates the client's
/// TLS with that certificate, speaks TLS to the node itself, and records the plaintext in between.
final class RecordingProxy: Sendable {
    let endpoint: Endpoint
    let recording = Recording()

    actor Recording {
        private(set) var connections: [[UInt8]] = []

        func open() -> Int {
            connections.append([])
            return connections.count - 1
        }

        func append(_ bytes: some Sequence<UInt8>, to connection: Int) {
            connections[connection].append(contentsOf: bytes)
        }
    }

    private init(endpoint: Endpoint) {
        self.endpoint = endpoint
    }

    /// Runs `body` with a proxy to `upstream`, and returns what it recorded. Once `body` returns, the listener
    /// closes and the connections still open are awaited: they end when their client or the node closes them. When
    /// `body` throws, they are cancelled instead, since no one may be left to close them.
    static func recording(
        to upstream: Endpoint, tls: (identity: TLSIdentity, upstream: ClientTLS)? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (RecordingProxy) async throws -> Void
    ) async throws -> Recording {
        let context = try tls?.identity.makeServerContext()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let proxy = RecordingProxy(endpoint: Endpoint(host: "127.0.0.1", port: server.channel.localAddress!.port!))
        let recording = proxy.recording
        let upstreamTLS = tls?.upstream
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                await withDiscardingTaskGroup { relays in
                    try? await server.executeThenClose { inbound in
                        for try await client in inbound {
                            relays.addTask {
                                await Self.relay(client, to: upstream, tls: upstreamTLS, recording: recording)
                            }
                        }
                    }
                }
            }
            do {
                try await body(proxy)
            } catch {
                group.cancelAll()
                throw error
            }
            try? await server.channel.close()
        }
        return recording
    }

    /// Copies both ways until either side closes, recording what the client sends before it is forwarded.
    private static func relay(
        _ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, to upstream: Endpoint, tls: ClientTLS?, recording: Recording
    ) async {
        let id = await recording.open()
        try? await client.executeThenClose { clientInbound, clientOutbound in
            let server = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: upstream.host, port: upstream.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        _ = try tls?.addHandler(to: channel, host: upstream.host, port: upstream.port)
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try await server.executeThenClose { serverInbound, serverOutbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await buffer in serverInbound { try await clientOutbound.write(buffer) }
                    }
                    group.addTask {
                        for try await buffer in clientInbound {
                            await recording.append(buffer.readableBytesView, to: id)
                            try await serverOutbound.write(buffer)
                        }
                    }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

}

/// The frames in `bytes` (length-prefixed, as on the wire).
func frames(in bytes: [UInt8]) throws -> [Frame] {
    var buffer = ByteBuffer(bytes: bytes)
    var frames: [Frame] = []
    while let length = buffer.readInteger(as: UInt32.self) {
        guard let body = buffer.readBytes(length: Int(length)) else { break }
        frames.append(try Frame(serializedBytes: body))
    }
    return frames
}
