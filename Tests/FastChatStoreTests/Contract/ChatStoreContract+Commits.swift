import FastChatStore
import Foundation
import Testing

/// What a node's commit stage writes in one transaction: many acknowledgements, and acknowledgements with messages.
extension ChatStoreContract {
    static func acknowledgeABatch(_ context: ContractContext) async throws {
        let store = try await context.open()
        let entries = try await store.accept([
            Fixtures.message(from: "alice", to: ["bob", "carol"]),
            Fixtures.message(from: "alice", to: ["bob"]),
            Fixtures.message(from: "alice", to: ["dave"]),
        ]).flatMap(\.entries)
        let bob = entries.filter { $0.recipient == "bob" }
        let carol = entries.filter { $0.recipient == "carol" }

        let removed = try await store.acknowledge([
            Acknowledgement(recipient: "bob", seqs: [bob[1].seq, carol[0].seq, 999_999]),
            Acknowledgement(recipient: "carol", seqs: []),
            Acknowledgement(recipient: "bob", seqs: [bob[1].seq, bob[0].seq]),
            Acknowledgement(recipient: "carol", seqs: [carol[0].seq, carol[0].seq]),
        ])
        #expect(removed == [[bob[1]], [], [bob[0]], carol], "each entry once, to the first of its recipient's to name it")
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10).isEmpty)
        #expect(try await store.pending(for: "carol", afterSeq: 0, limit: 10).isEmpty)
        #expect(try await store.pending(for: "dave", afterSeq: 0, limit: 10).count == 1, "dave acknowledged nothing")
        #expect(try await store.acknowledge([Acknowledgement(recipient: "bob", seqs: bob.map(\.seq))]) == [[]])
        #expect(try await store.acknowledge([]) == [])
    }

    static func commitAcknowledgesThenAccepts(_ context: ContractContext) async throws {
        let store = try await context.open()
        let quota = MailboxQuota(entries: 1, bytes: 1_000)
        func message(to recipient: String) -> IncomingMessage {
            var message = Fixtures.message(from: "alice", to: [recipient], envelope: Fixtures.bytes(10))
            message.quota = quota
            return message
        }
        let first = try await store.accept([message(to: "bob")])[0].entries
        try #require(first.count == 1)
        // Bob's one place is taken; his acknowledgement in the same commit frees it for the next message.
        let next = message(to: "bob")
        let commit = try await store.commit(
            acknowledging: [Acknowledgement(recipient: "bob", seqs: [first[0].seq])],
            accepting: [next, message(to: "carol"), next])
        #expect(commit.acknowledged == [first])
        #expect(commit.accepted.count == 3)
        #expect(commit.accepted.map(\.entries.count) == [1, 1, 0])
        #expect(commit.accepted[2] == .duplicate)
        let stored = commit.accepted[0].entries
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10) == stored)
        #expect(stored.allSatisfy { $0.seq > first[0].seq }, "seqs are never reused")

        let nothing = try await store.commit(acknowledging: [Acknowledgement(recipient: "bob", seqs: [])], accepting: [])
        #expect(nothing == MailboxCommit(acknowledged: [[]], accepted: []))
        let acceptedOnly = try await store.commit(acknowledging: [], accepting: [message(to: "dave")])
        #expect(acceptedOnly.acknowledged.isEmpty && acceptedOnly.accepted.map(\.entries.count) == [1])
    }
}
