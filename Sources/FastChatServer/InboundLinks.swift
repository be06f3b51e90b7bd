import Synchronization

/// How many links other nodes have open to this one. A draining node stops only once its peers have closed theirs
/// (`NodeDrain`): a peer closes its link after the last frame it sent on it, so nothing forwarded is left unread.
final class InboundLinks: Sendable {
    private let open = Atomic<Int>(0)

    func opened() {
        open.add(1, ordering: .relaxed)
    }

    func closed() {
        open.subtract(1, ordering: .relaxed)
    }

    var count: Int { open.load(ordering: .relaxed) }
}
