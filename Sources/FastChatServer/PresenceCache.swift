import FastChatStore
import Foundation
import Synchronization

/// Which other node a user is signed in on, remembered for a minute so that routing a message does not read the
/// store each time. Only positive answers are kept: "not signed in anywhere" could turn false the next moment, and a
/// message routed nowhere would wait for the next sign-in. A stale positive answer costs nothing worse than a
/// detour: the node it points to does not have the user, routes the entry on by the store, and says so
/// (`Forward.not_here`), which makes this cache forget the answer (see `NodeServices.deliverForwarded`).
///
/// (Kept for 2 s before, every message of a conversation slower than that read the store twice, for the entry and
/// for its receipt: at 300 msg/s, a third of the node's thread wake-ups.)
///
/// Answers that point at a draining node are not kept: its users are moving, and a message forwarded there after
/// its user left takes a detour (the draining node routes it on) that a later message, routed straight to the new
/// node, can overtake. The store's answer is always current.
///
/// A map behind a mutex, not an actor: routing a batch reads it without a hop, and only the names it does not know
/// cost a store read (outside the lock).
final class PresenceCache: Sendable {
    private struct State {
        var known: [String: (node: String, until: ContinuousClock.Instant)] = [:]
        var draining: Set<String> = []
    }

    private let store: any ChatStore
    private let localNode: String
    private let timeToLive: Duration
    private let state = Mutex(State())

    init(store: any ChatStore, localNode: String, timeToLive: Duration = .seconds(60)) {
        self.store = store
        self.localNode = localNode
        self.timeToLive = timeToLive
    }

    /// The other node each of `usernames` is signed in on (those signed in nowhere else are absent): what is known,
    /// and one store read for the rest.
    func nodes(of usernames: Set<String>) async -> [String: String] {
        let now = ContinuousClock.now
        let (cached, unknown) = known(usernames, at: now)
        guard !unknown.isEmpty else { return cached }
        var found = cached
        let stored = (try? await store.sessionNodes(of: unknown)) ?? [:]
        state.withLock { state in
            if state.known.count > 100_000 { state.known = state.known.filter { $0.value.until > now } }
            for username in unknown {
                guard let node = stored[username], node != localNode else {
                    state.known[username] = nil
                    continue
                }
                found[username] = node
                // Checked after the read: the registry may have said meanwhile that this node drains.
                if !state.draining.contains(node) { state.known[username] = (node, now + timeToLive) }
            }
        }
        return found
    }

    /// `nodes(of:)` when it needs no store read: nil if any of `usernames` is not known.
    func knownNodes(of usernames: Set<String>) -> [String: String]? {
        let (found, unknown) = known(usernames, at: .now)
        return unknown.isEmpty ? found : nil
    }

    private func known(
        _ usernames: Set<String>, at now: ContinuousClock.Instant
    ) -> (found: [String: String], unknown: Set<String>) {
        state.withLock { state in
            var found: [String: String] = [:]
            var unknown: Set<String> = []
            for username in usernames {
                if let entry = state.known[username], entry.until > now {
                    found[username] = entry.node
                } else {
                    unknown.insert(username)
                }
            }
            return (found, unknown)
        }
    }

    /// The nodes the registry says are draining (read with every heartbeat): what was known to point at them is
    /// forgotten, and answers that do are not kept.
    func nodesDraining(_ names: Set<String>) {
        state.withLock { state in
            guard names != state.draining else { return }
            state.draining = names
            if !names.isEmpty { state.known = state.known.filter { !names.contains($0.value.node) } }
        }
    }

    /// Forgets what was known about `usernames` (the node it pointed to no longer has them).
    func forget(_ usernames: Set<String>) {
        state.withLock { state in
            for username in usernames { state.known[username] = nil }
        }
    }
}
