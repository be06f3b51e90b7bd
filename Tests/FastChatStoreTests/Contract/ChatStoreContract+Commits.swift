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

    /// Two stores on one storage (two nodes) committing acknowledgements and messages for the same recipients at
    /// once: none fails, and each recipient's kept usage (what the quota reads) stays exactly their pending entries.
    static func concurrentCommitsKeepUsageExact(_ context: ContractContext) async throws {
        let stores = [try await context.open(), try await context.open()]
        let recipients = ["r0", "r1", "r2", "r3"]
        let rounds = 8
        // Each round, each store acknowledges an entry of every recipient that it stored, and stores two more.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    var mine: [String: [Int64]] = [:]
                    for round in 0..<rounds {
                        let acknowledgements = recipients.compactMap { recipient -> Acknowledgement? in
                            guard let seq = mine[recipient]?.first else { return nil }
                            mine[recipient]?.removeFirst()
                            return Acknowledgement(recipient: recipient, seqs: [seq])
                        }
                        let messages = recipients.flatMap { recipient in
                            (0..<2).map { copy in
                                Fixtures.message(
                                    from: "s\(index)", to: [recipient],
                                    envelope: Fixtures.bytes(10 + round + copy + index))
                            }
                        }
                        let commit = try await store.commit(acknowledging: acknowledgements, accepting: messages)
                        #expect(commit.acknowledged.allSatisfy { $0.count == 1 })
                        for entry in commit.accepted.flatMap(\.entries) { mine[entry.recipient, default: []].append(entry.seq) }
                    }
                }
            }
            try await group.waitForAll()
        }
        for recipient in recipients {
            let pending = try await stores[0].pending(for: recipient, afterSeq: 0, limit: 1_000)
            // Each store acknowledged all but the last round's two per recipient, less the first round's none.
            #expect(pending.count == stores.count * (2 * rounds - (rounds - 1)))
            let bytes = pending.reduce(0) { $0 + $1.envelope.count }
            func probe(_ quota: MailboxQuota) -> IncomingMessage {
                var message = Fixtures.message(from: "probe", to: [recipient], envelope: Fixtures.bytes(1))
                message.quota = quota
                return message
            }
            // Exactly full by entries, then by bytes: refused; with one more of each: accepted.
            #expect(try await stores[1].accept([probe(MailboxQuota(entries: pending.count, bytes: .max))])
                == [.mailboxFull([recipient])])
            #expect(try await stores[1].accept([probe(MailboxQuota(entries: .max, bytes: bytes))])
                == [.mailboxFull([recipient])])
            #expect(try await stores[1].accept([probe(MailboxQuota(entries: pending.count + 1, bytes: bytes + 1))])
                .map(\.entries.count) == [1])
        }
    }
}
