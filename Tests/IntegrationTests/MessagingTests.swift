import FastChatClient
import FastChatProtocol
import FastChatTLS
import Foundation
import Testing

@Suite(.timeLimit(.minutes(10))) struct MessagingTests {
    @Test(arguments: Backend.all)
    func offlineMessageWaitsAndIsDeliveredOnce(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            try await node.client(home: "bob").signUp(username: "bob", password: "pw")
            let texts = ["first", "second", String(repeating: "long ", count: 2000), "ünïcødé 你好 🎉 مرحبا"]
            for text in texts {
                try await alice.send(text, to: "bob")
            }

            let bob = node.client(home: "bob")
            try await bob.signIn(username: "bob", password: "pw")
            let received = try await bob.pendingMessages()
            #expect(received.map(\.text) == texts)
            #expect(received.allSatisfy { $0.from == "alice" && $0.to == "bob" && $0.verified })
            await bob.signOut()

            let again = node.client(home: "bob")
            try await again.signIn(username: "bob", password: "pw")
            #expect(try await again.pendingMessages().isEmpty)
        }
    }

    @Test(arguments: Backend.all)
    func liveDeliveryWithReceipts(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            #expect(try await bob.pendingMessages().isEmpty)

            let id = try await alice.send("hello bob", to: "bob")
            let message = try await bob.nextMessage()
            #expect(message.id == id)
            #expect(message.text == "hello bob")
            #expect(message.from == "alice")

            let receipt = try await alice.next { event -> (UUID, String)? in
                if case .delivered(let id, let recipient) = event { return (id, recipient) }
                return nil
            }
            #expect(receipt.0 == id)
            #expect(receipt.1 == "bob")
        }
    }

    @Test(arguments: Backend.all)
    func unacknowledgedMessagesComeBackInOrder(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            try await node.client(home: "bob").signUp(username: "bob", password: "pw")
            for index in 0..<20 {
                try await alice.send("message \(index)", to: "bob")
            }
            // Bob's first session sees them but acknowledges none (it crashes before showing them).
            let first = node.client(home: "bob-crashing")
            try await first.signIn(username: "bob", password: "pw")
            _ = try await first.next { event -> Bool? in
                if case .synced(let pending) = event { return pending == 20 ? true : nil }
                return nil
            }
            await first.signOut()

            let second = node.client(home: "bob")
            try await second.signIn(username: "bob", password: "pw")
            #expect(try await second.pendingMessages().map(\.text) == (0..<20).map { "message \($0)" })
        }
    }

    @Test(arguments: Backend.all)
    func retriedSendIsStoredOnce(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            try await node.client(home: "bob").signUp(username: "bob", password: "pw")
            let id = UUID()
            try await alice.send("once", to: "bob", id: id)
            try await alice.send("once", to: "bob", id: id)
            let bob = node.client(home: "bob")
            try await bob.signIn(username: "bob", password: "pw")
            #expect(try await bob.pendingMessages().map(\.id) == [id])
        }
    }

    @Test(arguments: Backend.all)
    func sendingToUnknownPeerFails(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            #expect(try await code { try await alice.send("hi", to: "nobody") } == .noSuchUser)
        }
    }

    @Test(arguments: Backend.all)
    func whoisPinsOnFirstUse(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            let first = try await alice.whois("bob")
            #expect(!first.wasPinned)
            #expect(first.fingerprint == (await bob.fingerprint))
            let second = try await alice.whois("bob")
            #expect(second.wasPinned)
            #expect(!second.changed)
        }
    }

    /// A node restarted on the same store still holds the mailbox.
    @Test(arguments: Backend.all)
    func pendingMailSurvivesARestart(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            try await node.client(home: "bob").signUp(username: "bob", password: "pw")
            try await alice.send("across the restart", to: "bob")
            await node.stop()

            try await withNode(sharing: node) { restarted in
                let bob = ChatClient(options: .init(endpoint: restarted.endpoint, tls: restarted.clientTLS, home: node.directory.appendingPathComponent("homes/bob"), kdf: .fast, answerTimeout: patience))
                try await bob.signIn(username: "bob", password: "pw")
                #expect(try await bob.pendingMessages().map(\.text) == ["across the restart"])
                // Alice's old session was cleared with the node: she can sign in again.
                try await restarted.client(home: "alice").signIn(username: "alice", password: "correct horse")
            }
        }
    }
}
