import FastChatProtocol
import Foundation

/// Takes a node out of rotation without its users noticing: balancers stop sending it clients, every signed-in
/// client is told to move (`Move`), and the node waits for them to leave before it stops.
///
/// A client that moves finishes what it has in flight here first; what this node holds back from then on stays in
/// the mailbox, and the sign-in on the next node replays it. So nothing accepted is lost, and nothing is shown twice.
struct NodeDrain: Sendable {
    let services: NodeServices

    /// Returns once every signed-in client has left, or at `deadline` with those that have not.
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
        services.logger.notice("Draining: moving clients to other nodes", metadata: ["sessions": "\(services.sessions.count)"])
        var told = Set<UUID>()
        // Clients placed here just before the balancers saw the flag sign in meanwhile: they are told in turn.
        while ContinuousClock.now < deadline {
            for session in await services.sessions.all where told.insert(session.id).inserted {
                await session.delivery.stopPushing()
                session.outbox.send(Frame(.move(.with { $0.reason = "This node is draining." })))
            }
            if services.sessions.count == 0 { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let left = services.sessions.count
        if left > 0 {
            services.logger.warning("Drain timed out; closing the connections left", metadata: ["sessions": "\(left)"])
        } else {
            services.logger.notice("Drained: every client has moved")
        }
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
