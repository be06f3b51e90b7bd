import FastChatProtocol
import FastChatStore
import Foundation
import Logging
import NIOCore

/// One client connection: the handshake, then requests in the order they arrive. Every bad request is answered with
/// a typed error; only a broken handshake or too many wrong passwords close the connection.
///
/// Owned by its channel's event loop between batches, and by the batch being handled: its channel handler
/// (`ConnectionInbound`) handles on the loop what needs no wait (`handleWithoutWaiting`), and hands the rest, one batch
/// at a time, to a task of the node's `ConnectionScheduler`, the next only once that one is done, and the end after
/// the last. Its state crosses tasks that way, never two at once, hence `@unchecked Sendable` and no lock.
/// (Writability notices, which may run beside a batch, touch only `flow`, an actor.)
final class ConnectionHandler: BatchedConnection, @unchecked Sendable {
    let services: NodeServices
    let outbox: Outbox
    let flow: OutboundFlow
    let window: RequestWindow
    var greeted = false
    /// The client protocol version agreed in Hello.
    var protocolVersion = Wire.protocolVersion
    /// The peer is another node (it said NodeHello): it may only forward.
    var isNodeLink: Bool { linkPeer != nil }
    /// The node at the other end of a node link.
    var linkPeer: String?
    var session: Session?
    var failedSignIns = 0
    var closeAfterThisFrame = false
    /// The challenge the next password proof on this connection must sign; every proof consumes it.
    var challenge: Data?
    /// The peer address counted against the connection limits, once admitted.
    private var admitted: String?
    /// Why the connection limits refused the connection: its first frame is answered with it.
    private var refusal: ProtocolError?

    /// Who connected: a node link must prove it is a registered node.
    let peer: PeerIdentity
    var peerHost: String? { peer.host }
    /// What both ends put in every signed login transcript to tie it to this connection (RFC 5929
    /// `tls-server-end-point` of this node's certificate; empty on a plaintext connection).
    let channelBinding: Data

    /// Made when something is logged (rarely, for one connection), not kept: a logger with metadata of its own cost
    /// an idle connection about a kilobyte.
    var logger: Logger {
        var logger = services.logger
        logger[metadataKey: "peer"] = "\(peer)"
        if let linkPeer { logger[metadataKey: "link"] = "\(linkPeer)" }
        if let session { logger[metadataKey: "user"] = "\(session.username)" }
        return logger
    }

    init(services: NodeServices, outbox: Outbox, peer: PeerIdentity, channelBinding: [UInt8]) {
        self.services = services
        self.outbox = outbox
        self.flow = OutboundFlow(outbox: outbox)
        self.window = RequestWindow(limit: services.configuration.maxRequestsInFlight)
        self.peer = peer
        self.channelBinding = Data(channelBinding)
    }

    /// Counts the connection against the node's connection limits, before anything of it is read, so that silent
    /// sockets count too (each is held until its first-frame deadline). A refused connection is answered on its first
    /// frame with why, then closed.
    func open() async {
        let address = peer.host ?? "?"
        if let refusal = await services.connectionCounts.admit(address) {
            services.metrics.refused(refusal)
            self.refusal = refusal
            return
        }
        admitted = address
        services.metrics.connectionsAccepted.increment()
        services.metrics.connections.increment()
    }

    /// Handles a batch of the connection's frames, in order. Each request waits while the peer does not read what
    /// the node writes (so the connection is not read meanwhile, and its pushes pause). True once the connection is
    /// to be closed.
    func handle(_ frames: [Frame]) async -> Bool {
        if let refusal, let request = frames.first {
            outbox.fail(request.requestID, refusal)
            await outbox.settle()
            return true
        }
        for frame in frames {
            // The channel's writability is readable from any thread: only a connection that is behind pays the hop.
            if !outbox.isWritable { await flow.waitUntilWritable() }
            await handle(frame)
            if closeAfterThisFrame {
                // A last reply (such as the error that ends the connection) must leave before the close.
                await outbox.settle()
                return true
            }
        }
        return false
    }

    /// The requests most of a busy connection's frames are, handled on its event loop with no task and no hop:
    /// pings, and on a writable connection 1:1 messages and acknowledgements while the request window and the commit
    /// queue have room; on a node link, forwards for users signed in here. Stops at the first frame that needs to
    /// wait, and returns it and the rest, for a batch.
    func handleWithoutWaiting(_ frames: ArraySlice<Frame>) -> ArraySlice<Frame> {
        guard greeted, refusal == nil else { return frames }
        var rest = frames
        if isNodeLink {
            // A forward for users signed in here, with no resync in it, is pushed from the link's loop.
            while case .forward(let forward) = rest.first?.body, services.deliverForwardedNow(forward) {
                rest.removeFirst()
            }
            return rest
        }
        while let frame = rest.first, outbox.isWritable, handledWithoutWaiting(frame) {
            rest.removeFirst()
        }
        return rest
    }

    private func handledWithoutWaiting(_ frame: Frame) -> Bool {
        do {
            switch frame.body {
            case .ping:
                outbox.send(Frame(.pong(.init())))
                return true
            case .send(let request):
                return try sendWithoutWaiting(request, requestID: frame.requestID)
            case .ack(let request):
                return try ackWithoutWaiting(request, requestID: frame.requestID)
            default:
                return false
            }
        } catch let error as ProtocolError {
            outbox.fail(frame.requestID, error)
            return true
        } catch {
            // Answered (and logged) by the batch, as any request's unexpected failure.
            return false
        }
    }

    func becameWritable() async {
        await flow.becameWritable()
    }

    func channelClosed() async {
        await flow.close()
    }

    /// After the last batch: the connection no longer waits for anything, and its session and slot are given back.
    func end() async {
        await flow.close()
        if let linkPeer { services.inboundLinks.closed(from: linkPeer) }
        await endSession()
        if let admitted {
            services.metrics.connections.decrement()
            await services.connectionCounts.release(admitted)
        }
    }

    private func handle(_ frame: Frame) async {
        let requestID = frame.requestID
        do {
            guard greeted else {
                try await greet(frame)
                return
            }
            if case .ping = frame.body {
                outbox.send(Frame(.pong(.init())))
                return
            }
            if isNodeLink {
                guard case .forward(let forward) = frame.body, let linkPeer else {
                    throw ProtocolError(.badRequest, "A node link carries only Forward frames.")
                }
                await services.deliverForwarded(forward, from: linkPeer)
                return
            }
            switch frame.body {
            case .signUp(let request):
                try await signUp(request, requestID: requestID)
            case .getChallenge:
                outbox.reply(to: requestID, .challenge(.with { $0.challenge = issueChallenge() }))
            case .getAuthParams(let request):
                try await authParams(request, requestID: requestID)
            case .changePassword(let request):
                try await changePassword(request, requestID: requestID)
            case .signIn(let request):
                do {
                    try await signIn(request, requestID: requestID)
                    services.metrics.signIns.succeeded.increment()
                } catch {
                    services.metrics.signIns.failed(error)
                    throw error
                }
            case .signOut:
                await endSession()
                outbox.reply(to: requestID, .ok(.init()))
            case .getUser(let request):
                try await getUser(request, requestID: requestID)
            case .send(let request):
                try await send(request, requestID: requestID)
            case .ack(let request):
                try await ack(request, requestID: requestID)
            case .createGroup(let request):
                try await createGroup(request, requestID: requestID)
            case .getGroupAuthParams(let request):
                try await groupAuthParams(request, requestID: requestID)
            case .joinGroup(let request):
                try await joinGroup(request, requestID: requestID)
            case .leaveGroup(let request):
                try await leaveGroup(request, requestID: requestID)
            case .getGroup(let request):
                try await getGroup(request, requestID: requestID)
            case .listGroups:
                try await listGroups(requestID: requestID)
            case .groupAdmin(let request):
                try await groupAdmin(request, requestID: requestID)
            case .changeGroupPassword(let request):
                try await changeGroupPassword(request, requestID: requestID)
            case .uploadBlob(let request):
                try await uploadBlob(request, requestID: requestID)
            case .fetchBlob(let request):
                try await fetchBlob(request, requestID: requestID)
            case .hello:
                throw ProtocolError(.badRequest, "Hello was already received on this connection.")
            case nil:
                throw ProtocolError(.badRequest, "The frame carries no message this server understands.")
            default:
                throw ProtocolError(.badRequest, "That message is not a request a client can make.")
            }
        } catch let error as ProtocolError {
            outbox.fail(requestID, error)
        } catch StoreError.cannotOpen {
            // The store is unreachable (a PostgreSQL restart, say): nothing was done, and the client may try again.
            services.metrics.storeErrors.increment()
            outbox.fail(requestID, ProtocolError(.unavailable, "The server cannot reach its store right now; try again."))
        } catch {
            if error is StoreError { services.metrics.storeErrors.increment() }
            logger.error("Request failed", metadata: ["error": "\(error)"])
            outbox.fail(requestID, ProtocolError(.internal, "The server could not complete the request."))
        }
    }

    private func greet(_ frame: Frame) async throws {
        if case .nodeHello(let hello) = frame.body {
            try await acceptNodeLink(hello)
            greeted = true
            linkPeer = hello.nodeName
            services.inboundLinks.opened(from: hello.nodeName)
            logger.debug("Node link accepted")
            return
        }
        guard case .hello(let hello) = frame.body else {
            closeAfterThisFrame = true
            throw ProtocolError(.badRequest, "The first message on a connection must be Hello.")
        }
        guard Wire.supportedVersions.contains(hello.protocolVersion) else {
            closeAfterThisFrame = true
            throw ProtocolError(
                .unsupportedVersion,
                "Protocol version \(hello.protocolVersion) is not supported; this server speaks versions 1 to \(Wire.protocolVersion)."
            )
        }
        greeted = true
        protocolVersion = hello.protocolVersion
        var reply = Fastchat_V1_HelloReply()
        reply.protocolVersion = protocolVersion
        reply.nodeName = services.configuration.nodeName
        reply.maxFrameBytes = UInt32(services.configuration.maxFrameBytes)
        reply.maxImageBytes = services.blobs == nil ? 0 : UInt64(services.configuration.maxImageBytes)
        reply.idleTimeoutSeconds = services.configuration.idleTimeout.map { UInt32(clamping: $0.components.seconds) } ?? 0
        outbox.reply(to: frame.requestID, .helloReply(reply))
    }

    /// A node link must come from a live registered node. On TLS it proves that with the certificate the cluster
    /// CA issued to that name (mutual TLS); only on `--no-tls` clusters, meant for benchmarks and debugging, does
    /// the peer's address stand in for it. Anything else is refused and closed, so no outsider can inject
    /// deliveries; each refusal is logged once per claimed name, not on every retry.
    private func acceptNodeLink(_ hello: Fastchat_V1_NodeHello) async throws {
        closeAfterThisFrame = true
        guard hello.protocolVersion == Wire.nodeLinkVersion else {
            throw ProtocolError(.unsupportedVersion, "Protocol version \(hello.protocolVersion) is not supported.")
        }
        let cutoff = Date().addingTimeInterval(-services.configuration.deadAfter.seconds)
        let nodes = try await services.store.nodes()
        guard let node = nodes.first(where: { $0.name == hello.nodeName }), node.heartbeatAt >= cutoff,
            hello.nodeName != services.configuration.nodeName
        else {
            await refuseLink(hello.nodeName, because: "it is not a live registered node")
            throw ProtocolError(.badRequest, "\(hello.nodeName) is not a live registered node.")
        }
        if services.configuration.tls != nil {
            guard await peer.certificateName() == hello.nodeName else {
                await refuseLink(hello.nodeName, because: "it presented no node certificate for that name")
                throw ProtocolError(.badRequest, "A node link must present the cluster certificate of \(hello.nodeName).")
            }
        } else {
            let registeredHost = node.address.split(separator: ":").dropLast().joined(separator: ":")
            guard let peerHost, peerHost == registeredHost || Self.isLoopback(peerHost) && Self.isLoopback(registeredHost)
            else {
                await refuseLink(hello.nodeName, because: "it does not come from that node's host")
                throw ProtocolError(.badRequest, "The link does not come from \(hello.nodeName)'s host.")
            }
        }
        await services.linkRefusals.accepted(hello.nodeName)
        closeAfterThisFrame = false
    }

    private func refuseLink(_ claimed: String, because reason: String) async {
        services.metrics.refusedNodeLink.increment()
        guard await services.linkRefusals.shouldLog(claimed) else { return }
        logger.warning(
            "Refused a node link claiming to be \(claimed): \(reason)", metadata: ["peer": "\(peerHost ?? "?")"])
    }

    private static func isLoopback(_ host: String) -> Bool {
        host.hasPrefix("127.") || host == "::1" || host == "localhost"
    }

    func signedInUser() throws -> Session {
        guard let session else {
            throw ProtocolError(.notSignedIn, "Sign in first.")
        }
        return session
    }

    /// Signs the session out of this node and the cluster. Idempotent.
    func endSession() async {
        guard let session else { return }
        self.session = nil
        await flow.attach(nil)
        services.sessions.remove(session)
        await session.delivery.close()
        // Its own task, so a connection cancelled by shutdown still releases the account cluster-wide.
        let store = services.store
        let node = services.configuration.nodeName
        do {
            try await Task { try await store.closeSession(username: session.username, node: node) }.value
        } catch {
            logger.error("Could not close the stored session", metadata: ["error": "\(error)"])
        }
        logger.info("Signed out", metadata: ["user": "\(session.username)"])
    }
}
