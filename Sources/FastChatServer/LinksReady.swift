import Foundation
import Synchronization

/// Opens once this node is linked both ways to every node that was live when it started, or after a bound: until
/// then no one signs in here. A forward never dials (`NodeLinks.forward`): an entry another node routes to a user
/// here before it has linked to this node stays in the mailbox, and is replayed once the link is up, after newer
/// entries sent to that user through this node directly — out of order. The same holds the other way for a user
/// signed in here who sends to a user on a node this node has not linked to yet.
final class LinksReady: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Returns once the gate is open.
    func wait() async {
        if state.withLock({ $0.open }) { return }
        await withCheckedContinuation { waiter in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(waiter) }
                return state.open
            }
            if open { waiter.resume() }
        }
    }

    var isOpen: Bool { state.withLock { $0.open } }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

extension NodeServices {
    /// Opens `linksReady` once this node has a link to, and a link from, every other node the registry shows live and
    /// not leaving now; at the latest after two heartbeats and a connect timeout (a peer dials a new node after its
    /// next heartbeat), or when the node stops. Run beside the node's first heartbeats, which dial the peers.
    func openWhenLinked() async {
        defer { linksReady.open() }
        let deadline = ContinuousClock.now + configuration.heartbeatInterval * 2 + .seconds(2)
        let cutoff = Date().addingTimeInterval(-configuration.deadAfter.seconds)
        guard let nodes = try? await store.nodes() else { return }
        let peers = Set(nodes.filter { $0.name != configuration.nodeName && $0.heartbeatAt >= cutoff && !$0.isLeaving }.map(\.name))
        while !peers.isEmpty {
            let linked = await links.linkedPeers.intersection(inboundLinks.peers)
            if peers.isSubset(of: linked) { return }
            guard ContinuousClock.now < deadline else {
                logger.warning(
                    "Signing users in before every node is linked both ways; messages routed meanwhile may arrive out of order",
                    metadata: ["missing": "\(peers.subtracting(linked).sorted())"])
                return
            }
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                return
            }
        }
    }
}
