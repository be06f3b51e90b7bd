import FastChatClient
import FastChatProtocol
@testable import FastChatServer
import FastChatStore
import Foundation
import Testing

/// Several nodes sharing one store, in one process (the process-level cluster is in ClusterProcessTests).
@Suite(.timeLimit(.minutes(10))) struct ClusterTests {
    static func fastBeats(_ configuration: inout ServerConfiguration) {
        // Beats often so a dead node is found quickly, but a live node is never declared dead: on a loaded 2-core
        // machine a beat can be late by far more than any few seconds. The ghost below is an hour older than that.
        configuration.heartbeatInterval = .milliseconds(100)
        configuration.deadAfter = .seconds(3600)
    }

    func withTwoNodes(
        on backend: Backend, _ body: (NodeHarness, NodeHarness) async throws -> Void
    ) async throws {
        try await withNode(on: backend, configure: { Self.fastBeats(&$0); $0.nodeName = "n1" }) { first in
            try await withNode(sharing: first, configure: { Self.fastBeats(&$0); $0.nodeName = "n2" }) { second in
                try await body(first, second)
            }
        }
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

    /// A node that has just started signs no one in before it is linked both ways to the live nodes: otherwise an
    /// entry another node routed to that user before linking to this one would wait in the mailbox until the link is
    /// up, and arrive after newer ones sent through this node directly (DrainTests found it). The first node beats
    /// slowly, so it dials the second up to a second after the second started.
    @Test func aStartingNodeSignsNoOneInBeforeItIsLinkedBothWays() async throws {
        let slowBeats: (inout ServerConfiguration) -> Void = {
            $0.heartbeatInterval = .seconds(1); $0.deadAfter = .seconds(3600); $0.nodeName = "n1"
        }
        try await withNode(configure: slowBeats) { first in
            do {
                try await withNode(sharing: first, configure: { Self.fastBeats(&$0); $0.nodeName = "n2" }) { second in
                    _ = try await second.user("bob")
                    let links = await second.chatNode.linkedPeers()
                    #expect(links.outbound == ["n1"] && links.inbound == ["n1"], "bob signed in on n2 with links \(links)")
                }
            } catch {
                Issue.record(error)
            }
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
            try await n1.database.withStore { ghost in
                // Session first: registered first, the ghost could be reaped by the live nodes' next beat before the
                // session is written, leaving a session no reaping would ever clear (a real node opens sessions only
                // while it is alive and registered).
                let past = Date().addingTimeInterval(-3 * 3600)
                try await ghost.openSession(username: "bob", node: "ghost")
                try await ghost.registerNode(
                    NodeRecord(name: "ghost", address: "127.0.0.1:1", pid: 1, connections: 1, startedAt: past, heartbeatAt: past))
                try await alice.send("while bob's node was dead", to: "bob")

                // Generous: on a loaded 2-core machine (the whole suite, benchmarks and PostgreSQL at once) heartbeats
                // and sign-ins can each take seconds. A fresh client per attempt, each attempt bounded, and every
                // failure kept: an attempt that never gets a reply must show up as such rather than stall the poll.
                let attempts = Attempts()
                let signedIn = await poll(until: .now + patience, every: .milliseconds(200)) {
                    let candidate = n2.client(home: "bob")
                    let outcome = await attemptWithin(.seconds(60)) {
                        try await candidate.signIn(username: "bob", password: "pw")
                        return candidate
                    }
                    switch outcome {
                    case .success(let client):
                        await attempts.succeeded(client)
                        return true
                    case .failure(let error):
                        await attempts.failed("\(error)")
                        return false
                    }
                }
                let failures = await attempts.failures
                #expect(signedIn, "the ghost node was reaped and bob's session with it; failed attempts: \(failures.suffix(5))")
                guard let bob = await attempts.client else { return }
                #expect(try await bob.pendingMessages().map(\.text) == ["while bob's node was dead"])
                #expect(try await ghost.nodes().map(\.name).contains("ghost") == false)
            }
        }
    }
}

/// What the sign-in attempts of `deadNodeSessionsAreCleared` ran into.
private actor Attempts {
    private(set) var failures: [String] = []
    private(set) var client: ChatClient?

    func failed(_ reason: String) { failures.append(reason) }
    func succeeded(_ client: ChatClient) { self.client = client }
}

private struct AttemptTimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Runs `body`, giving up (and saying so) after `timeout`.
private func attemptWithin<T: Sendable>(
    _ timeout: Duration, _ body: @escaping @Sendable () async throws -> T
) async -> Result<T, any Error> {
    await withTaskGroup(of: Result<T, any Error>?.self) { group in
        group.addTask {
            do { return .success(try await body()) } catch { return .failure(error) }
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = await group.next(), let outcome = first else {
            return .failure(AttemptTimedOut(description: "no answer within \(timeout)"))
        }
        return outcome
    }
}
