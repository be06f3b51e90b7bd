import FastChatClient
import FastChatServer
import Foundation
import Testing

/// The presence cache and onward routing: a node remembers for two seconds which node a user is on, so right after
/// the user moves it forwards to the node they left; that node must route the entry (or receipt) on by the store.
/// Three in-process nodes on one SQLite store, clients connected straight to the node they should be on. Moves are
/// made immediately (no sleeps), well within the cache's lifetime.
@Suite(.timeLimit(.minutes(10))) struct PresenceRoutingTests {
    private static func fastBeats(_ configuration: inout ServerConfiguration) {
        configuration.heartbeatInterval = .milliseconds(100)
        // No node is ever taken for dead here, however late a starved heartbeat is.
        configuration.deadAfter = .seconds(3600)
    }

    private func withThreeNodes(_ body: (NodeHarness, NodeHarness, NodeHarness) async throws -> Void) async throws {
        try await withNode(configure: { Self.fastBeats(&$0); $0.nodeName = "na" }) { a in
            try await withNode(sharing: a, configure: { Self.fastBeats(&$0); $0.nodeName = "nb" }) { b in
                try await withNode(sharing: a, configure: { Self.fastBeats(&$0); $0.nodeName = "nc" }) { c in
                    try await body(a, b, c)
                }
            }
        }
    }

    /// A → B (stale) → C: the recipient moved from B to C while A still has "bob is on B" cached.
    @Test func entryFollowsARecipientWhoMovedNodes() async throws {
        try await withThreeNodes { a, b, c in
            let alice = try await a.user("alice")
            #expect(try await alice.pendingMessages().isEmpty)
            let bobOnB = try await b.user("bob", password: "pw")
            #expect(try await bobOnB.pendingMessages().isEmpty)
            #expect(await alice.nodeName == "na")
            #expect(await bobOnB.nodeName == "nb")

            // Delivered on B: node A now has bob → nb cached.
            let first = try await alice.send("to bob on nb", to: "bob")
            let firstReceived = try await within(patience, "bob gets the first message on nb") {
                try await bobOnB.nextMessage()
            }
            #expect(firstReceived.id == first && firstReceived.text == "to bob on nb")
            _ = try await within(patience, "alice gets ✓✓ for the first message") {
                try await alice.next { event -> UUID? in
                    if case .delivered(let id, "bob") = event, id == first { return id }
                    return nil
                }
            }

            // Bob moves to C at once, inside A's two-second cache lifetime.
            await bobOnB.signOut()
            let bobOnC = c.client(home: "bob")
            try await bobOnC.signIn(username: "bob", password: "pw")
            #expect(await bobOnC.nodeName == "nc")
            #expect(try await bobOnC.pendingMessages().isEmpty, "nothing was waiting when bob signed in on nc")

            let second = try await alice.send("to bob, who moved to nc", to: "bob")
            let secondReceived = try await within(patience, "bob gets the second message live on nc") {
                try await bobOnC.nextMessage()
            }
            #expect(secondReceived.id == second)
            #expect(secondReceived.text == "to bob, who moved to nc")
            #expect(secondReceived.from == "alice" && secondReceived.verified)

            let receipt = try await within(patience, "alice gets ✓✓ for the second message") {
                try await alice.next { event -> (UUID, String)? in
                    if case .delivered(let id, let recipient) = event, id == second { return (id, recipient) }
                    return nil
                }
            }
            #expect(receipt.1 == "bob")

            // Exactly once: the next thing bob gets is a later message, not a second copy, and nothing is left
            // in his mailbox.
            let marker = try await alice.send("marker", to: "bob")
            let next = try await within(patience, "bob gets the marker on nc") { try await bobOnC.nextMessage() }
            #expect(next.id == marker, "the message after the moved one is the marker, not a copy (\(next.text))")
            _ = try await within(patience, "alice gets ✓✓ for the marker") {
                try await alice.next { event -> UUID? in
                    if case .delivered(let id, _) = event, id == marker { return id }
                    return nil
                }
            }
            await bobOnC.signOut()
            let bobAgain = a.client(home: "bob")
            try await bobAgain.signIn(username: "bob", password: "pw")
            #expect(try await bobAgain.pendingMessages().isEmpty, "every message was delivered and acknowledged once")
        }
    }

    /// B → A (stale) → C for a receipt: the sender moved from A to C while B still has "alice is on A" cached.
    @Test func receiptFollowsASenderWhoMovedNodes() async throws {
        try await withThreeNodes { a, b, c in
            let aliceOnA = try await a.user("alice", password: "pw")
            #expect(try await aliceOnA.pendingMessages().isEmpty)
            let bob = try await b.user("bob")
            #expect(try await bob.pendingMessages().isEmpty)

            // Bob's acknowledgement on B sends alice's receipt to A: node B now has alice → na cached.
            let first = try await aliceOnA.send("from alice on na", to: "bob")
            #expect(try await within(patience, "bob gets the first message") { try await bob.nextMessage() }.id == first)
            _ = try await within(patience, "alice gets ✓✓ on na") {
                try await aliceOnA.next { event -> UUID? in
                    if case .delivered(let id, _) = event, id == first { return id }
                    return nil
                }
            }

            await aliceOnA.signOut()
            let aliceOnC = c.client(home: "alice")
            try await aliceOnC.signIn(username: "alice", password: "pw")
            #expect(await aliceOnC.nodeName == "nc")
            #expect(try await aliceOnC.pendingMessages().isEmpty)

            let second = try await aliceOnC.send("from alice on nc", to: "bob")
            let received = try await within(patience, "bob gets the second message") { try await bob.nextMessage() }
            #expect(received.id == second && received.from == "alice")
            let receipt = try await within(patience, "alice gets ✓✓ on nc, where she moved") {
                try await aliceOnC.next { event -> (UUID, String)? in
                    if case .delivered(let id, let recipient) = event, id == second { return (id, recipient) }
                    return nil
                }
            }
            #expect(receipt.1 == "bob")
        }
    }
}
