import FastChatClient
import FastChatProtocol
import NIOCore
import NIOPosix

/// A node played by the test on loopback, with plain framing: it answers Hello and SignOut by itself and hands each
/// connection to the test, which reads what the client sent and writes what a node would.
struct FakeNode: Sendable {
    let endpoint: Endpoint
    /// Each connection a client opened, in order.
    let connections: AsyncStream<Peer>
    private let listener: any Channel

    /// The node's end of one connection.
    struct Peer: Sendable {
        let channel: any Channel
        /// Every frame the client sent, except its Hello and SignOut; ends when the connection closes.
        let received: AsyncStream<Frame>

        func send(_ frame: Frame) async throws {
            try await channel.writeAndFlush(frame).get()
        }

        func close() async {
            try? await channel.close().get()
        }
    }

    /// The node's end of the next connection a client opens.
    func nextPeer() async throws -> Peer {
        var iterator = connections.makeAsyncIterator()
        guard let peer = await iterator.next() else { throw NodeStopped() }
        return peer
    }

    struct NodeStopped: Error {}

    /// Runs `body` against a fresh node and stops it afterwards.
    static func with<T>(_ body: (FakeNode) async throws -> T) async throws -> T {
        let (connections, accepted) = AsyncStream.makeStream(of: Peer.self)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addFrameCodec()
                    let (received, sink) = AsyncStream.makeStream(of: Frame.self)
                    try channel.pipeline.syncOperations.addHandler(PeerHandler(received: sink))
                    accepted.yield(Peer(channel: channel, received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let node = FakeNode(
            endpoint: Endpoint(host: "127.0.0.1", port: listener.localAddress?.port ?? 0), connections: connections,
            listener: listener)
        do {
            let result = try await body(node)
            try? await listener.close().get()
            return result
        } catch {
            try? await listener.close().get()
            throw error
        }
    }
}

/// The node's side of a connection, on its event loop.
private final class PeerHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    private let received: AsyncStream<Frame>.Continuation

    init(received: AsyncStream<Frame>.Continuation) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.body {
        case .hello(let hello):
            let reply = Fastchat_V1_HelloReply.with {
                $0.nodeName = "fake"
                $0.protocolVersion = hello.protocolVersion
            }
            context.writeAndFlush(wrapOutboundOut(Frame(requestID: frame.requestID, .helloReply(reply))), promise: nil)
        case .signOut:
            context.writeAndFlush(
                wrapOutboundOut(Frame.error(.notSignedIn, "Not signed in.", requestID: frame.requestID)), promise: nil)
        default:
            received.yield(frame)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.finish()
        context.fireChannelInactive()
    }
}
