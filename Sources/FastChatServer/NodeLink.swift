import FastChatProtocol
import FastChatTLS
import NIOCore
import NIOPosix
import NIOSSL

/// An outbound link to another node: says `NodeHello`, then carries `Forward` frames. Fire and forget — a
/// forward lost with a dying link loses nothing, because the entry stays in the mailbox until it is acked.
///
/// A link has no task of its own: the peer never answers on it (its pongs stop at `KeepAlive`), and its close is
/// reported through `onClose` from the channel's close future.
final class NodeLink: Sendable {
    let peer: String
    private let writer: FrameWriter
    private let channel: any Channel

    private init(peer: String, writer: FrameWriter, channel: any Channel) {
        self.peer = peer
        self.writer = writer
        self.channel = channel
    }

    static func connect(
        to address: String,
        peer: String,
        localName: String,
        tls: NIOSSLContext?,
        keepAlive: Duration,
        onClose: @escaping @Sendable (NodeLink) -> Void
    ) async throws -> NodeLink {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw ProtocolError(.badRequest, "Node \(peer) registered an invalid address \(address).")
        }
        let host = String(address[..<colon])
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(2))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // No SNI for an address literal: NIOSSL then checks the certificate against the IP dialled.
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: isIPAddressLiteral(host) ? nil : host))
                    }
                    try channel.pipeline.syncOperations.addFrameCodec()
                    try channel.pipeline.syncOperations.addHandler(KeepAlive(interval: keepAlive))
                }
            }
            .connect(host: host, port: port).get()
        let link = NodeLink(peer: peer, writer: try await FrameWriter.make(for: channel), channel: channel)
        link.send(
            Frame(
                .nodeHello(
                    .with {
                        $0.protocolVersion = Wire.nodeLinkVersion
                        $0.nodeName = localName
                    }
                )
            )
        )
        channel.closeFuture.whenComplete { _ in onClose(link) }
        return link
    }

    func send(_ frame: Frame) {
        writer.send(frame)
    }

    /// Returns once every frame sent so far has been handed to the socket.
    func flush() async {
        await writer.flush()
    }

    /// Ends the link after the frames sent on it: the peer reads every one of them before it sees the end, and then
    /// closes its side (which closes this one). A peer that never does (a frozen node) is closed on after a while:
    /// by then what was sent has long left this process, and the kernel still delivers it.
    func finish() {
        let channel = self.channel
        let closed = channel.eventLoop.makePromise(of: Void.self)
        closed.futureResult.whenFailure { _ in channel.close(promise: nil) }
        channel.close(mode: .output, promise: closed)
        channel.eventLoop.scheduleTask(in: .seconds(30)) { channel.close(promise: nil) }
    }
}
