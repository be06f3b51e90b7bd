import Synchronization

/// The links other nodes have open to this one, by peer. A draining node stops only once its peers have closed theirs
/// (`NodeDrain`): a peer closes its link after the last frame it sent on it, so nothing forwarded is left unread. A
/// starting node signs no one in before every live peer has linked to it (`LinksReady`).
final class InboundLinks: Sendable {
    /// Open links per peer: a peer's new link may open before its old one has closed.
    private let open = Mutex<[String: Int]>([:])

    func opened(from peer: String) {
        open.withLock { $0[peer, default: 0] += 1 }
    }

    func closed(from peer: String) {
        open.withLock { open in
            let left = open[peer, default: 1] - 1
            open[peer] = left > 0 ? left : nil
        }
    }

    var count: Int { open.withLock { $0.values.reduce(0, +) } }

    /// The peers with a link open to this node.
    var peers: Set<String> { open.withLock { Set($0.keys) } }
}
