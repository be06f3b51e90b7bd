import FastChatClient
import FastChatProtocol
import FastChatTLS
import Foundation
import Testing

/// Real node processes behind a real balancer process; a node is killed with SIGKILL mid-conversation.
@Suite(.heavy, .serialized, .timeLimit(.minutes(10))) struct FailoverTests {
    @Test(arguments: Backend.all)
    func killedNodeLosesNothingAndShowsNothingTwice(_ backend: Backend) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let storage = try await TestDatabase.make(backend, in: scratch.url)
        do {
            try await killANode(storage.argument, in: scratch)
        } catch {
            try? await storage.destroy()
            throw error
        }
        try await storage.destroy()
    }

    /// Every process is killed by the time this returns, so the database can go.
    private func killANode(_ database: String, in scratch: Scratch) async throws {
        let s1 = try await ServerProcess.start(database: database, name: "s1", in: scratch.url)
        defer { s1.process.signal(SIGKILL) }
        let s2 = try await ServerProcess.start(database: database, name: "s2", in: scratch.url)
        defer { s2.process.signal(SIGKILL) }
        let balancerPort = try unusedLoopbackPort()
        let balancer = try FastChatCLI.start(
            ["balancer", "--port", "\(balancerPort)", "--strategy", "single", "--database", database]
                + s1.tls.serverArguments, in: scratch.url)
        defer { balancer.signal(SIGKILL) }
        let endpoint = Endpoint(host: "127.0.0.1", port: balancerPort)
        let ready = await poll(until: .now + patience) {
            guard let (connection, hello) = try? await FrameConnection.open(to: endpoint, tls: s1.tls.clientTLS, answerTimeout: patience) else { return false }
            await connection.close()
            return hello.nodeName == "s1"
        }
        #expect(ready, "the balancer sends clients to s1")

        func client(_ name: String) -> ChatClient {
            ChatClient(
                options: .init(
                    endpoint: endpoint, tls: s1.tls.clientTLS, home: scratch.url.appendingPathComponent(name), kdf: .fast, reconnects: true,
                    reconnectTimeout: patience, answerTimeout: .seconds(60)))
        }
        let alice = client("alice")
        let bob = client("bob")
        for (user, name) in [(alice, "alice"), (bob, "bob")] {
            try await user.signUp(username: name, password: "pw")
            try await user.signIn(username: name, password: "pw")
            #expect(await user.nodeName == "s1")
        }

        var sent: [UUID] = []
        for index in 0..<10 { sent.append(try await alice.send("message \(index)", to: "bob")) }
        var received: [ReceivedMessage] = []
        while received.count < 5 { received.append(try await bob.nextMessage()) }

        await s1.kill9()
        // Every send returns only once the message is durably stored, failing over as needed.
        for index in 10..<20 { sent.append(try await alice.send("message \(index)", to: "bob")) }
        #expect(await alice.nodeName == "s2")

        // Bob fails over too: his event stream says so, and the rest arrives on s2.
        for await event in bob.events where received.count < sent.count {
            if case .message(let message) = event {
                try await bob.acknowledge(message)
                received.append(message)
            }
            if received.count == sent.count { break }
        }
        #expect(received.map(\.id) == sent, "every acknowledged message, once, in order")
        #expect(await bob.nodeName == "s2")
        // Nothing more arrives: no duplicate is pending.
        await bob.signOut()
        let bobAgain = client("bob")
        try await bobAgain.signIn(username: "bob", password: "pw")
        #expect(try await bobAgain.pendingMessages().isEmpty)
        await alice.signOut()
        await bobAgain.signOut()
    }
}
