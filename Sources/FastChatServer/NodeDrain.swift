import FastChatProtocol
import Foundation

/// Takes a node out of rotation without its users noticing: balancers stop sending it clients, every signed-in
/// client is told to move (`Move`), and the node waits for them to leave before it stops.
///
/// A client that moves finishes what it has in flight here first; what this node holds back from then on stays in
/// the mailbox, and the sign-in on the next node replays it. So nothing accepted is lost, and nothing is shown twice.
/// Clients are told only once the other nodes have seen the flag (they then stop caching that its users are here),
/// and the node stops only once they have closed their links to it, so nothing they forwarded here is left unread.
struct NodeDrain: Sendable {
    let services: NodeServices

    /// Returns once every signed-in client has left and the other nodes have closed their links, or at `deadline`.
    func run(until deadline: ContinuousClock.Instant) async {
        let name = services.configuration.nodeName
        do {
            // Balancers re-read the registry every 250 ms or so and skip draining nodes from then on.
            _ = try await services.store.drainNode(name)
        } catch {
            services.logger.warning("Could not mark this node draining; balancers may still send it clients",
                                    metadata: ["error": "\(error)"])
        }
        guard await anotherNodeCanTakeThem() else {
            // Moving would bring them back here: they are disconnected as by a plain stop.
            services.logger.notice("No other node to move clients to; stopping")
            return
        }
        await waitUntilPeersHaveSeenTheFlag(until: min(deadline, .now + services.configuration.deadAfter))
        services.logger.notice("Draining: moving clients to other nodes", metadata: ["sessions": "\(services.sessions.count)"])
        var told = Set<UUID>()
        var drained = false
        // Clients placed here just before the balancers saw the flag sign in meanwhile: they are told in turn, also
        // while the other nodes are still to close their links (which they do once a heartbeat shows no client).
        while ContinuousClock.now < deadline {
            for session in services.sessions.all where told.insert(session.id).inserted {
                await session.delivery.stopPushing()
                session.outbox.send(Frame(.move(.with { $0.reason = "This node is draining." })))
            }
            if services.sessions.count == 0 {
                if !drained { services.logger.notice("Drained: every client has moved") }
                drained = true
                if services.inboundLinks.count == 0 { break }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let (sessions, links) = (services.sessions.count, services.inboundLinks.count)
        if sessions > 0 {
            services.logger.warning("Drain timed out; closing the connections left", metadata: ["sessions": "\(sessions)"])
        } else if links > 0 {
            services.logger.warning("Drain timed out; other nodes' links are still open", metadata: ["links": "\(links)"])
        } else {
            services.logger.info("Other nodes have closed their links")
        }
    }

    /// Waits until each other live node has heartbeated twice since this node was marked draining. A node reads the
    /// registry after each heartbeat and from then on keeps no answer that points here (`PresenceCache`), so by its
    /// second heartbeat it sends no moving user's message on a detour through this node, which a later message,
    /// routed straight to the user's new node, could overtake.
    private func waitUntilPeersHaveSeenTheFlag(until deadline: ContinuousClock.Instant) async {
        let name = services.configuration.nodeName
        var beats: [String: (last: Date, seen: Int)] = [:]
        while ContinuousClock.now < deadline {
            if let nodes = try? await services.store.nodes() {
                let cutoff = Date().addingTimeInterval(-services.configuration.deadAfter.seconds)
                var waiting = false
                for peer in nodes where peer.name != name && peer.heartbeatAt >= cutoff {
                    var beat = beats[peer.name] ?? (peer.heartbeatAt, 0)
                    if peer.heartbeatAt != beat.last { beat = (peer.heartbeatAt, beat.seen + 1) }
                    beats[peer.name] = beat
                    waiting = waiting || beat.seen < 2
                }
                if !waiting { return }
            }
            try? await Task.sleep(for: services.configuration.heartbeatInterval / 4)
        }
        services.logger.notice("Not every node has heartbeated since this one was marked draining; moving clients anyway")
    }

    /// Whether another node can take the clients: one in the registry that is not draining itself. Its heartbeat's
    /// age is not asked: rows of dead nodes are reaped after `deadAfter`, and under load a live node's heartbeat can
    /// be late, which must not turn a drain into closed connections. A client told to move to a node that then dies
    /// reconnects as after any failure.
    private func anotherNodeCanTakeThem() async -> Bool {
        let name = services.configuration.nodeName
        let nodes = (try? await services.store.nodes()) ?? []
        return nodes.contains { $0.name != name && !$0.draining }
    }
}
