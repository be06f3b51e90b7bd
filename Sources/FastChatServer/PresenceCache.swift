import FastChatStore
import Foundation

/// Which other node a user is signed in on, remembered for a few seconds so that routing a message does not read
/// the store each time. Only positive answers are kept: "not signed in anywhere" could turn false the next moment,
/// and a message routed nowhere would wait for the next sign-in. A stale positive answer costs nothing worse than
/// a detour: the node it points to does not have the user and routes the entry on by the store (see
/// `NodeServices.deliverForwarded`).
actor PresenceCache {
    private let store: any ChatStore
    private let localNode: String
    private let timeToLive: Duration
    private var known: [String: (node: String, until: ContinuousClock.Instant)] = [:]

    init(store: any ChatStore, localNode: String, timeToLive: Duration = .seconds(2)) {
        self.store = store
        self.localNode = localNode
        self.timeToLive = timeToLive
    }

    /// The other node `username` is signed in on; nil when not signed in elsewhere.
    func node(of username: String) async -> String? {
        let now = ContinuousClock.now
        if let entry = known[username], entry.until > now { return entry.node }
        guard let node = try? await store.sessionNode(of: username), node != localNode else {
            known[username] = nil
            return nil
        }
        if known.count > 100_000 { known = known.filter { $0.value.until > now } }
        known[username] = (node, now + timeToLive)
        return node
    }

    /// Forgets what was known about `username` (the node it pointed to no longer has them).
    func forget(_ username: String) {
        known[username] = nil
    }
}
