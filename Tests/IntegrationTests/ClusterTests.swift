import FastChatClient
import FastChatProtocol
import FastChatServer
import FastChatStore
import Foundation
import Testing

/// Several nodes sharing one store, in one process (the process-level cluster is in ClusterProcessTests).
@Suite(.timeLimit(.minutes(2))) struct ClusterTests {
    private static func fastBeats(_ configuration: inout ServerConfiguration) {
        // Beats often so a dead node is found quickly, but a live node is only declared dead after ten quiet
        // seconds: on a loaded 2-core machine a beat can be late by far more than a second.
        configuration.heartbeatInterval = .milliseconds(100)
        configuration.deadAfter = .seconds(10)
    }

    private func withTwoNodes(
        on backend: Backend, _ body: (NodeHarness, NodeHarness) async throws -> Void
    ) async throws {
        let first = try await NodeHarness.start(on: backend) { Self.fastBeats(&$0); $0.nodeName = "n1" }
        let second: NodeHarness
        do {
            second = try await NodeHarness.start(sharing: first) { Self.fastBeats(&$0); $0.nodeName = "n2" }
        } catch {
            try await first.remove()
            throw error
        }
        do {
            try await body(first, second)
        } catch {
            try await second.stop()
            try await first.remove()
            throw error
        }
        try await second.stop()
        try await first.remove()
    }

    @Test(arguments: Backend.all)
    func messagesAndReceiptsCrossNodes(_ backend: Backend) async throws {
        try await withTwoNodes(on: backend) { n1, n2 in
            let alice = try await n1.user("alice")
            let bob = try await n2.user("bob")
            #expect(await alice.nodeName == "n1")
            #expect(await bob.nodeName == "n2")
            #expect(try await bob.pendingMessages().isEmpty)

            let id = try await alice.send("across nodes", to: "bob")
            let message = try await bob.nextMessage()
            #expect(message.id == id && message.text == "across nodes")
            let receipt = try await alice.next { event -> UUID? in
                if case .delivered(let id, _) = event { return id }
                return nil
            }
            #expect(receipt == id)

            // And back, into a group spread over both nodes.
            try await bob.createGroup("spread", password: "g")
            try await alice.joinGroup("spread", password: "g")
            try await bob.send("to the group", toGroup: "spread")
            #expect(try await alice.nextMessage().text == "to the group")
        }
    }

    @Test(arguments: Backend.all)
    func alreadyLoggedInHoldsAcrossNodes(_ backend: Backend) async throws {
        try await withTwoNodes(on: backend) { n1, n2 in
            _ = try await n1.user("alice")
            let elsewhere = n2.client(home: "alice-2")
            #expect(try await code { try await elsewhere.signIn(username: "alice", password: "correct horse") } == .alreadyLoggedIn)
        }
    }

    /// A node whose heartbeat stops is reaped: its users can sign in on another node and get what was pending.
    @Test(arguments: Backend.all)
    func deadNodeSessionsAreCleared(_ backend: Backend) async throws {
        try await withTwoNodes(on: backend) { n1, n2 in
            let alice = try await n1.user("alice")
            try await n2.client(home: "bob").signUp(username: "bob", password: "pw")
            // A node that died without deregistering: its row and bob's session stay behind.
            let ghost = try await n1.database.open()
            let past = Date().addingTimeInterval(-60)
            try await ghost.registerNode(
                NodeRecord(name: "ghost", address: "127.0.0.1:1", pid: 1, connections: 1, startedAt: past, heartbeatAt: past))
            try await ghost.openSession(username: "bob", node: "ghost")
            try await alice.send("while bob's node was dead", to: "bob")

            let bob = n2.client(home: "bob")
            // Generous: on a loaded 2-core machine (the whole suite, benchmarks and PostgreSQL at once) heartbeats and
            // sign-ins can each take seconds.
            let signedIn = await poll(until: .now + .seconds(60), every: .milliseconds(200)) {
                (try? await bob.signIn(username: "bob", password: "pw")) != nil
            }
            #expect(signedIn, "the ghost node was reaped and bob's session with it")
            #expect(try await bob.pendingMessages().map(\.text) == ["while bob's node was dead"])
            #expect(try await ghost.nodes().map(\.name).contains("ghost") == false)
            try await ghost.close()
        }
    }
}
