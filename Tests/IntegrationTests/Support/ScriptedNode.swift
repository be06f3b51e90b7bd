import FastChatCrypto
import FastChatProtocol
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A stand-in node on a loopback port, for what a client does with hostile pushes: it answers the handshake,
/// sign-in (as `me`), key lookups, blob fetches and acks as a node does, and pushes whatever its user says. Shared
/// by the regression tests and the client fuzz target (Fuzz/Sources/FuzzClientPushes links to this file).
final class ScriptedNode: Sendable {
    static let password = "scripted password"
    let me: Identity
    let identities: [String: PublicIdentity]
    /// The highest protocol version it speaks: a Hello naming a higher one is refused, as a node from before that
    /// version refuses it.
    let protocolVersion: UInt32
    private let keyBackup: Data
    private let state = Mutex(State())

    private struct State {
        var listener: (any Channel)?
        var connection: (any Channel)?
        /// Chunks served to FetchBlob, by blob id.
        var blobs: [Data: [Data]] = [:]
        /// The version of each Hello, and the seqs of each Ack, in order.
        var hellos: [UInt32] = []
        var acked: [UInt64] = []
    }

    private init(me: Identity, peers: [String: PublicIdentity], protocolVersion: UInt32) throws {
        let secrets = try AccountSecrets.derive(password: Self.password, username: "me", parameters: .fast)
        self.me = me
        self.protocolVersion = protocolVersion
        identities = peers.merging(["me": me.publicIdentity]) { $1 }
        keyBackup = try me.sealedBackup(vaultKey: secrets.vaultKey)
    }

    /// `peers`: whose keys GetUser answers, besides `me`'s.
    static func start(
        me: Identity = .generate(), peers: [String: PublicIdentity], protocolVersion: UInt32 = Wire.protocolVersion
    ) async throws -> ScriptedNode {
        let node = try ScriptedNode(me: me, peers: peers, protocolVersion: protocolVersion)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addFrameCodec()
                    try channel.pipeline.syncOperations.addHandler(ScriptedResponder(node: node))
                    node.state.withLock { $0.connection = channel }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        node.state.withLock { $0.listener = listener }
        return node
    }

    var port: Int { state.withLock { $0.listener?.localAddress?.port ?? 0 } }
    var hellos: [UInt32] { state.withLock { $0.hellos } }
    var acked: [UInt64] { state.withLock { $0.acked } }

    func stop() {
        state.withLock {
            $0.listener?.close(promise: nil)
            $0.connection?.close(promise: nil)
        }
    }

    /// Makes blobs available to FetchBlob; bounded, so an image pushed long ago is simply not found any more.
    func serve(_ blobs: [Data: [Data]]) {
        state.withLock { state in
            if state.blobs.count > 1024 { state.blobs.removeAll() }
            state.blobs.merge(blobs) { $1 }
        }
    }

    /// Pushes `frames` on the client's connection, in order, without waiting for them to be written.
    func push(_ frames: [Frame]) throws {
        guard let channel = state.withLock({ $0.connection }) else { throw ChannelError.ioOnClosedChannel }
        channel.eventLoop.execute {
            for frame in frames {
                channel.write(frame, promise: nil)
            }
            channel.flush()
        }
    }

    fileprivate func answer(_ body: Frame.OneOf_Body?) -> Frame.OneOf_Body {
        switch body {
        case .hello(let hello):
            state.withLock { $0.hellos.append(hello.protocolVersion) }
            guard hello.protocolVersion <= protocolVersion else {
                return .error(.with { $0.code = .unsupportedVersion })
            }
            return .helloReply(.with {
                $0.protocolVersion = hello.protocolVersion
                $0.nodeName = "scripted"
                $0.maxFrameBytes = UInt32(Wire.defaultMaxFrameBytes)
                $0.maxImageBytes = 25 << 20
            })
        case .getAuthParams:
            return .authParams(.with {
                $0.kdf.log2N = UInt32(KDFParameters.fast.log2N)
                $0.kdf.r = UInt32(KDFParameters.fast.r)
                $0.kdf.p = UInt32(KDFParameters.fast.p)
                // Any challenge: this node signs anyone in, so it never checks the proof.
                $0.challenge = Data(repeating: 7, count: 32)
            })
        case .signIn:
            return .signedIn(.with {
                $0.identity.signingKey = me.publicIdentity.signingKey
                $0.identity.agreementKey = me.publicIdentity.agreementKey
                $0.keyBackup = keyBackup
            })
        case .getUser(let request):
            guard let key = identities[request.username] else { return .error(.with { $0.code = .noSuchUser }) }
            return .userInfo(.with {
                $0.username = request.username
                $0.identity.signingKey = key.signingKey
                $0.identity.agreementKey = key.agreementKey
            })
        case .fetchBlob(let request):
            let chunks = state.withLock { $0.blobs[request.blobID] } ?? []
            guard Int(request.index) < chunks.count else { return .error(.with { $0.code = .badImage }) }
            return .blobChunk(.with {
                $0.index = request.index
                $0.chunk = chunks[Int(request.index)]
                $0.last = Int(request.index) == chunks.count - 1
            })
        case .ack(let ack):
            state.withLock { $0.acked += ack.seqs }
            return .ok(.init())
        case .signOut:
            return .ok(.init())
        default:
            return .error(.with { $0.code = .badRequest })
        }
    }
}

private final class ScriptedResponder: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    let node: ScriptedNode

    init(node: ScriptedNode) {
        self.node = node
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let answer = node.answer(frame.body)
        context.writeAndFlush(wrapOutboundOut(Frame(requestID: frame.requestID, answer)), promise: nil)
        if case .error(let error) = answer, error.code == .unsupportedVersion { context.close(promise: nil) }
    }
}
