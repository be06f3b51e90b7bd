import Testing

@testable import FastChatServer

/// The presence cache keeps no answer that points at a draining node: that node's users are moving, and a message
/// sent there on a stale answer takes a detour that a later one can overtake. A real store; the cache's lifetime
/// is an hour here, so only what the cache decides (not the clock) can make an answer change.
@Suite(.timeLimit(.minutes(10))) struct PresenceCacheTests {
    @Test func answersThatPointAtADrainingNodeAreNotKept() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let store = scratch.store
        /// Puts bob's session on `to` in the store, where the cache does not look unless it has to.
        func move(_ from: String?, _ to: String) async throws {
            if let from { try await store.closeSession(username: "bob", node: from) }
            try await store.openSession(username: "bob", node: to)
        }
        let presence = PresenceCache(store: store, localNode: "here", timeToLive: .seconds(3600))
        /// Where the cache says bob is: as routing asks, for a batch of one.
        func bobsNode() async -> String? { await presence.nodes(of: ["bob"])["bob"] }

        try await move(nil, "n1")
        #expect(await bobsNode() == "n1")
        try await move("n1", "n2")
        #expect(await bobsNode() == "n1", "a kept answer is used while it lives")

        presence.nodesDraining(["n1"])
        #expect(await bobsNode() == "n2", "an answer that points at a draining node is forgotten")

        presence.nodesDraining(["n2"])
        #expect(await bobsNode() == "n2")
        try await move("n2", "n3")
        #expect(await bobsNode() == "n3", "an answer that points at a draining node is not kept")

        presence.nodesDraining([])
        #expect(await bobsNode() == "n3")
        try await move("n3", "n4")
        #expect(await bobsNode() == "n3", "once no node drains, answers are kept again")
    }
}
