import FastChatClient
import FastChatProtocol
import FastChatServer
import FastChatStore
import Foundation
import Testing

/// A node that stalls past `deadAfter` (a busy machine) is reaped by another: its registry row and its sessions are
/// deleted while its users are still connected to it. At its next heartbeat it must register again and restore
/// those sessions, or its users would be offline to the cluster (nothing forwarded to them) and could sign in twice.
@Suite(.timeLimit(.minutes(10))) struct NodeTakenForDeadTests {
    @Test func aReapedNodeRestoresTheSessionsOfItsConnectedUsers() async throws {
        let fast: @Sendable (inout ServerConfiguration) -> Void = {
            $0.heartbeatInterval = .milliseconds(100)
            // Taken for dead only by the test's own hand below, never by a starved heartbeat.
            $0.deadAfter = .seconds(3600)
        }
        try await withNode(configure: { fast(&$0); $0.nodeName = "na" }) { a in
            try await withNode(sharing: a, configure: { fast(&$0); $0.nodeName = "nb" }) { b in
                let alice = try await a.user("alice")
                let bob = try await b.user("bob", password: "pw")
                #expect(try await alice.pendingMessages().isEmpty)
                #expect(try await bob.pendingMessages().isEmpty)

                // What a reaping node does to one it takes for dead: its row and its sessions go, in one transaction.
                // (Without the fix nothing ever brings bob's session back, and the poll below times out.)
                try await a.database.withStore { store in
                    #expect(try await store.sessionNode(of: "bob") == "nb")
                    try await store.removeNode("nb")

                    let restored = try await poll(until: .now + patience) {
                        try await store.sessionNode(of: "bob") == "nb"
                    }
                    #expect(restored, "nb registered again and restored bob's session")
                    #expect(try await store.nodes().contains { $0.name == "nb" })

                    // Bob is reachable again from the other node, and still cannot sign in a second time.
                    let sent = try await alice.send("after the scare", to: "bob")
                    let received = try await bob.nextMessage()
                    #expect(received.id == sent && received.text == "after the scare")
                    let second = a.client(home: "bob-elsewhere")
                    let error = await #expect(throws: ProtocolError.self) {
                        try await second.signIn(username: "bob", password: "pw")
                    }
                    #expect(error?.code == .alreadyLoggedIn)
                }
            }
        }
    }
}
