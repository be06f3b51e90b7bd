@testable import FastChatStore
import FastChatClient
import FastChatProtocol
import Foundation
import Testing

/// PostgreSQL restarted under a running node: what could not be stored is refused, not acknowledged; the node
/// reconnects by itself and goes on; nothing accepted before the outage is lost. On a server of the test's own, since
/// stopping the shared one would fail the tests running beside it.
@Suite(
    .enabled(
        if: OwnPostgresServer.pgCtl != nil,
        "FASTCHAT_TEST_PG_CTL is not set: run scripts/test.sh, or scripts/with-postgres.sh swift test"),
    .heavy, .serialized, .timeLimit(.minutes(10)))
struct PostgresRestartTests {
    @Test func nodeGoesOnAfterPostgresRestarts() async throws {
        try await OwnPostgresServer.withNode { server, node in
            try await restart(server, under: node)
        }
    }

    private func restart(_ server: OwnPostgresServer, under node: NodeHarness) async throws {
        let alice = try await node.user("alice")
        try await node.client(home: "bob").signUp(username: "bob", password: "pw")
        try await alice.send("before the outage", to: "bob")

        try await server.stop()
        let refused = try await code { try await alice.send("during the outage", to: "bob") }
        #expect(refused == .unavailable, "a message that could not be stored is refused, never acknowledged")

        try await server.start()
        // The pool reconnects with a backoff: the first sends may still be refused. The same id each time, so a
        // retry of a message that was stored after all is not stored twice.
        let afterID = UUID()
        let accepted = await poll(until: .now + patience, every: .milliseconds(250)) {
            (try? await alice.send("after the outage", to: "bob", id: afterID)) != nil
        }
        #expect(accepted, "the node accepts messages again once PostgreSQL is back")

        let bob = node.client(home: "bob")
        try await bob.signIn(username: "bob", password: "pw")
        #expect(try await bob.pendingMessages().map(\.text) == ["before the outage", "after the outage"])
        // And live delivery works again: bob is online now.
        let liveID = try await alice.send("live again", to: "bob")
        #expect(try await bob.nextMessage().id == liveID)
    }
}
