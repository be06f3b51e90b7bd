import FastChatProtocol
import FastChatStore
import Logging
import NIOSSL
import Synchronization

/// This node's links to every other live node, kept in step with the registry.
///
/// What could not be forwarded is not lost (it stays in the mailbox), but its live recipient would not see it until
/// their next sign-in. So the users whose forwards failed, and every user when a link dropped under this node, are
/// named in the first `Forward` of the next link to that node, which then replays their mailboxes to them.
actor NodeLinks {
    private let localName: String
    /// Presents this node's certificate and checks the peer's; nil on a `--no-tls` cluster.
    private let tls: NIOSSLContext?
    /// How often an idle link pings, so the peer's idle timeout never ends it.
    private let keepAlive: Duration
    /// Every node of a cluster accepts frames this large (they share their settings); larger forwards are split.
    private let maxFrameBytes: Int
    private let metrics: NodeMetrics
    private let logger: Logger
    /// The links by peer name. Changed only by the actor; read without a hop by `forward`, which every commit report
    /// calls (a hop from a task with an executor preference, as reports have, costs two thread hand-offs).
    private nonisolated let current = Mutex<[String: NodeLink]>([:])
    private var links: [String: NodeLink] {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
    /// Links whose connection closed, reported by their channels and taken in by `run()`.
    private let closedLinks: AsyncStream<NodeLink>
    private let linkClosed: AsyncStream<NodeLink>.Continuation
    /// Peers whose last dial failed: the failure is logged once, not on every heartbeat.
    private var unreachable: Set<String> = []
    /// Per node, the recipients of forwards that could not be sent.
    private var missed: [String: Set<String>] = [:]
    /// Nodes whose link dropped without this node closing it: whatever was in flight may be lost.
    private var dropped: Set<String> = []
    /// Beyond this many remembered recipients for one node, it is told to replay to everyone instead.
    private let maxMissedPerNode = 10_000

    init(
        localName: String, tls: NIOSSLContext?, keepAlive: Duration, maxFrameBytes: Int, metrics: NodeMetrics,
        logger: Logger
    ) {
        self.localName = localName
        self.maxFrameBytes = maxFrameBytes
        self.metrics = metrics
        self.tls = tls
        self.keepAlive = keepAlive
        self.logger = logger
        (closedLinks, linkClosed) = AsyncStream.makeStream(of: NodeLink.self)
    }

    /// Takes in the links that close, for as long as the node runs (a child task of `ChatNode.run`); returns after
    /// `stop()`.
    nonisolated func run() async {
        for await link in closedLinks {
            await closed(link)
        }
    }

    /// Ends `run()`; links closing later need no bookkeeping, the node having stopped.
    nonisolated func stop() {
        linkClosed.finish()
    }

    /// Dials live nodes it has no link to and ends links to nodes that are gone (or leaving: no client left), after
    /// what was sent on them. A node that is gone has no sessions; if it comes back it replays to its users itself,
    /// so what was remembered for it is dropped too.
    func update(liveNodes: [NodeRecord]) async {
        let names = Set(liveNodes.map(\.name))
        for (name, link) in links where !names.contains(name) {
            links[name] = nil
            link.finish()
        }
        missed = missed.filter { names.contains($0.key) }
        dropped.formIntersection(names)
        for node in liveNodes where node.name != localName {
            _ = await link(to: node)
        }
    }

    /// Sends over the link to `node`. It never dials: a dial can wait seconds for its connect timeout, and the
    /// commit stage reporting this batch would wait with it. With no link yet (the node just started, or is leaving
    /// or gone) it returns false and the recipients are remembered: the link the registry loop dials next asks that
    /// node to replay their mailboxes first, so the entries still arrive, in order. (Receipts are not stored, so
    /// one for a node with no link is dropped, as for a sender who is offline.)
    ///
    /// A link that closes just after it was looked up loses what is sent on it, as one that drops with frames in
    /// flight does: its peer is then asked to replay to everyone (`dropped`).
    @discardableResult
    nonisolated func forward(_ forward: Fastchat_V1_Forward, to node: String) async -> Bool {
        if forwardNow(forward, to: node) { return true }
        return await forwardOrRemember(forward, to: node)
    }

    /// `forward` if a link to `node` is there now; false, with nothing sent or remembered, if not.
    nonisolated func forwardNow(_ forward: Fastchat_V1_Forward, to node: String) -> Bool {
        guard let link = current.withLock({ $0[node] }) else { return false }
        send(forward, over: link)
        return true
    }

    /// With no link a moment ago: one may have been made since; else the recipients are remembered for the next.
    private func forwardOrRemember(_ forward: Fastchat_V1_Forward, to node: String) -> Bool {
        guard let link = links[node] else {
            metrics.linkForwardFailures.increment()
            remember(forward.entries.map(\.recipient), for: node)
            return false
        }
        send(forward, over: link)
        return true
    }

    private nonisolated func send(_ forward: Fastchat_V1_Forward, over link: NodeLink) {
        for part in forward.split(maxBytes: maxFrameBytes) {
            link.send(Frame(.forward(part)))
            metrics.linkForwards.increment()
        }
    }

    /// Before this node stops: dials each live node it still owes a replay request (recipients of forwards it could
    /// not send, or a link that dropped), and returns once that request has left. Otherwise the request would go
    /// with this node, and those recipients would see the entries only at their next sign-in, after newer ones.
    func handOver(liveNodes: [NodeRecord]) async {
        for node in liveNodes where node.name != localName && links[node.name] == nil
            && (missed[node.name] != nil || dropped.contains(node.name)) {
            await link(to: node)?.flush()
        }
    }

    /// The nodes this node has a link to.
    var linkedPeers: Set<String> { Set(links.keys) }

    func closeAll() {
        let open = links.values
        links = [:]
        for link in open { link.finish() }
    }

    /// The link to `node`, dialed if there is none. Only the registry loop, and the hand-over after it ended, dial,
    /// so no two dials to one node overlap.
    private func link(to node: NodeRecord) async -> NodeLink? {
        if let link = links[node.name] { return link }
        let name = node.name
        do {
            let linkClosed = self.linkClosed
            let link = try await NodeLink.connect(
                to: node.address, peer: name, localName: localName, tls: tls, keepAlive: keepAlive
            ) { link in
                linkClosed.yield(link)
            }
            // Told before the link is seen by `forward`: no entry may reach that node ahead of the replay request.
            tellWhatWasMissed(over: link)
            links[name] = link
            unreachable.remove(name)
            logger.info("Linked to node \(name) at \(node.address)")
            return link
        } catch {
            if unreachable.insert(name).inserted {
                logger.warning("Cannot link to node \(name) at \(node.address)", metadata: ["error": "\(error)"])
            }
            return nil
        }
    }

    /// The first frame of a new link, before any entry: the receiving node replays to those users first.
    private func tellWhatWasMissed(over link: NodeLink) {
        var notice = Fastchat_V1_Forward()
        notice.resyncEveryone = dropped.remove(link.peer) != nil
        if !notice.resyncEveryone, let users = missed[link.peer] {
            notice.resync = users.sorted()
        }
        missed[link.peer] = nil
        guard notice.resyncEveryone || !notice.resync.isEmpty else { return }
        logger.notice(
            "Asking node \(link.peer) to replay what it may have missed",
            metadata: ["users": "\(notice.resyncEveryone ? "all" : "\(notice.resync.count)")"])
        link.send(Frame(.forward(notice)))
    }

    private func remember(_ recipients: [String], for node: String) {
        guard !recipients.isEmpty, !dropped.contains(node) else { return }
        var users = missed[node, default: []]
        users.formUnion(recipients)
        if users.count > maxMissedPerNode {
            missed[node] = nil
            dropped.insert(node)
        } else {
            missed[node] = users
        }
    }

    /// A link closed. Only the current link counts: one this node replaced or closed itself is already gone from
    /// `links`.
    private func closed(_ link: NodeLink) {
        guard let current = links[link.peer], current === link else { return }
        links[link.peer] = nil
        dropped.insert(link.peer)
    }
}
