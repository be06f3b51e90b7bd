import FastChatStore
import Foundation
import Testing

extension ChatStoreContract {
    static func acceptStoresOneEntryPerRecipient(_ context: ContractContext) async throws {
        let store = try await context.open()
        let first = Fixtures.message(from: "alice", to: ["bob", "carol", "bob"])
        let second = Fixtures.message(from: "bob", to: ["carol"])
        let outcomes = try await store.accept([first, second])

        try #require(outcomes.count == 2)
        let stored = outcomes[0].entries
        #expect(stored.map(\.recipient) == ["bob", "carol"], "one entry per distinct recipient, in order")
        #expect(stored.allSatisfy {
            $0.sender == "alice" && $0.messageID == first.messageID && $0.envelope == first.copies[0].envelope
        })
        let seqs = (outcomes[0].entries + outcomes[1].entries).map(\.seq)
        #expect(seqs == seqs.sorted() && Set(seqs).count == 3, "seqs strictly increase")

        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10) == [stored[0]])
        #expect(try await store.pending(for: "carol", afterSeq: 0, limit: 10) == [stored[1]] + outcomes[1].entries)
        #expect(try await store.pending(for: "alice", afterSeq: 0, limit: 10).isEmpty)
    }

    static func duplicateStoresNothing(_ context: ContractContext) async throws {
        let store = try await context.open()
        let message = Fixtures.message(from: "alice", to: ["bob"])
        let original = try await store.accept([message])

        let retry = IncomingMessage(
            sender: message.sender, messageID: message.messageID, recipients: ["bob", "carol"],
            envelope: Fixtures.bytes(10))
        #expect(try await store.accept([retry]) == [.duplicate])
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10) == original[0].entries)
        #expect(try await store.pending(for: "carol", afterSeq: 0, limit: 10).isEmpty)
    }

    static func copiesKeepTheirOwnEnvelopes(_ context: ContractContext) async throws {
        let store = try await context.open()
        let (forBob, forCarol) = (Fixtures.bytes(3), Fixtures.bytes(5))
        let message = IncomingMessage(
            sender: "alice", messageID: UUID(),
            copies: [.init(recipient: "bob", envelope: forBob), .init(recipient: "carol", envelope: forCarol)])
        _ = try await store.accept([message])
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10).map(\.envelope) == [forBob])
        #expect(try await store.pending(for: "carol", afterSeq: 0, limit: 10).map(\.envelope) == [forCarol])
    }

    static func mailboxQuotaRefusesWhatHasNoRoom(_ context: ContractContext) async throws {
        let store = try await context.open()
        let quota = MailboxQuota(entries: 2, bytes: 100)
        func message(to recipients: [String], bytes: Int = 10, id: UUID = UUID()) -> IncomingMessage {
            var message = Fixtures.message(from: "alice", to: recipients, id: id, envelope: Fixtures.bytes(bytes))
            message.quota = quota
            return message
        }
        let first = message(to: ["bob"])
        // In one batch: the second fills bob's two places, the third finds none, carol's has room.
        let outcomes = try await store.accept([first, message(to: ["bob"]), message(to: ["bob", "carol"]), message(to: ["carol"])])
        #expect(outcomes.map(\.entries.count) == [1, 1, 0, 1])
        #expect(outcomes[2] == .mailboxFull(["bob"]))
        // A repeat of an accepted message is still a duplicate, full or not.
        #expect(try await store.accept([first]) == [.duplicate])
        // Bytes count too: 95 more would take carol past 100.
        #expect(try await store.accept([message(to: ["carol"], bytes: 95)]) == [.mailboxFull(["carol"])])
        // A refused message's id stays free: once bob has read one, the same message goes in.
        let refusedID = UUID()
        #expect(try await store.accept([message(to: ["bob"], id: refusedID)]) == [.mailboxFull(["bob"])])
        let bobs = try await store.pending(for: "bob", afterSeq: 0, limit: 10)
        #expect(try await store.acknowledge(recipient: "bob", seqs: [bobs[0].seq]).count == 1)
        #expect(try await store.accept([message(to: ["bob"], id: refusedID)]).map(\.entries.count) == [1])
        // Notices (and anything else without a quota) always go in.
        #expect(try await store.accept([Fixtures.message(from: "alice", to: ["bob"])]).map(\.entries.count) == [1])
    }

    static func duplicateAfterAcknowledge(_ context: ContractContext) async throws {
        let store = try await context.open()
        let message = Fixtures.message(from: "alice", to: ["bob"])
        let seqs = try await store.accept([message])[0].entries.map(\.seq)
        #expect(try await store.acknowledge(recipient: "bob", seqs: seqs).count == 1)

        #expect(try await store.accept([message]) == [.duplicate])
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10).isEmpty)
    }

    static func duplicateWithinOneBatch(_ context: ContractContext) async throws {
        let store = try await context.open()
        let message = Fixtures.message(from: "alice", to: ["bob"])
        let other = Fixtures.message(from: "alice", to: ["bob"])
        let outcomes = try await store.accept([message, message, other])

        #expect(outcomes.map(\.entries.count) == [1, 0, 1])
        #expect(outcomes[1] == .duplicate)
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10).count == 2)
    }

    static func forgottenMessagesAreNewAgain(_ context: ContractContext) async throws {
        let store = try await context.open()
        let older = Fixtures.message(from: "carol", to: ["bob"])
        let olderEntries = try await store.accept([older])[0].entries
        // Accepted in a later millisecond than `older`, so a cutoff between them has one answer.
        let between = Date()
        while Date() < between.addingTimeInterval(0.002) { await Task.yield() }
        let newer = ["alice", "dave", "erin", "frank"].map { Fixtures.message(from: $0, to: ["bob"]) }
        let newerEntries = try await store.accept(newer).flatMap(\.entries)
        let all = [older] + newer
        let acceptedAll = Date().addingTimeInterval(1)

        #expect(try await store.forgetAcceptedMessages(acceptedBefore: between.addingTimeInterval(-60), after: nil, limit: 10) == (0, nil))
        #expect(try await store.forgetAcceptedMessages(acceptedBefore: acceptedAll, after: nil, limit: 0) == (0, nil))
        #expect(try await store.accept(all).allSatisfy { $0 == .duplicate }, "nothing forgotten yet")

        // Only what was accepted before the cutoff; one step sees every id when there are fewer than its limit.
        #expect(try await store.forgetAcceptedMessages(acceptedBefore: between, after: nil, limit: 10) == (1, nil))
        #expect(try await store.accept(newer).allSatisfy { $0 == .duplicate }, "the newer ones are still remembered")
        let again = try await store.accept([older])[0].entries
        #expect(again.map(\.recipient) == ["bob"], "the older one was forgotten: its repeat is new")
        #expect(
            try await store.pending(for: "bob", afterSeq: 0, limit: 10) == olderEntries + newerEntries + again,
            "forgetting leaves the mailbox as it was")

        // Steps of two go through the ids in key order (sender, then id), each starting after the last one seen.
        let keys = all.map { AcceptedMessageKey(sender: $0.sender, messageID: $0.messageID) }.sorted { $0.sender < $1.sender }
        var steps: [(forgotten: Int, next: AcceptedMessageKey?)] = []
        var next: AcceptedMessageKey?
        let everything = Date().addingTimeInterval(1)
        repeat {
            let step = try await store.forgetAcceptedMessages(acceptedBefore: everything, after: next, limit: 2)
            steps.append(step)
            next = step.next
        } while next != nil && steps.count < 10
        #expect(steps.map(\.forgotten) == [2, 2, 1])
        #expect(steps.map(\.next) == [keys[1], keys[3], nil])
        #expect(try await store.accept(all).map(\.entries.count) == [1, 1, 1, 1, 1], "every one is new again")
    }

    static func sameIDFromDifferentSenders(_ context: ContractContext) async throws {
        let store = try await context.open()
        let id = UUID()
        let outcomes = try await store.accept([
            Fixtures.message(from: "alice", to: ["carol"], id: id),
            Fixtures.message(from: "bob", to: ["carol"], id: id),
        ])
        #expect(outcomes.map(\.entries.count) == [1, 1])
        let pending = try await store.pending(for: "carol", afterSeq: 0, limit: 10)
        #expect(pending.map(\.sender) == ["alice", "bob"])
        #expect(pending.allSatisfy { $0.messageID == id })
    }

    static func batchOf500(_ context: ContractContext) async throws {
        let store = try await context.open()
        let messages = (0..<500).map { i in
            Fixtures.message(from: "sender\(i % 7)", to: ["bob", "user\(i % 13)"])
        }
        let outcomes = try await store.accept(messages)

        #expect(outcomes.count == 500)
        #expect(outcomes.allSatisfy { $0.entries.count == 2 })
        for (message, outcome) in zip(messages, outcomes) {
            #expect(outcome.entries.allSatisfy { $0.messageID == message.messageID })
        }
        let seqs = outcomes.flatMap(\.entries).map(\.seq)
        #expect(seqs == seqs.sorted() && Set(seqs).count == 1000)
        let bob = try await store.pending(for: "bob", afterSeq: 0, limit: 1000)
        #expect(bob.map(\.messageID) == messages.map(\.messageID), "in input order")
        #expect(try await store.accept(messages).allSatisfy { $0 == .duplicate })
    }

    static func emptyBatchAndEmptyEnvelope(_ context: ContractContext) async throws {
        let store = try await context.open()
        #expect(try await store.accept([]).isEmpty)
        #expect(try await store.acknowledge(recipient: "bob", seqs: []).isEmpty)

        let stored = try await store.accept([Fixtures.message(from: "alice", to: ["bob"], envelope: Data())])
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10) == stored[0].entries)
        #expect(stored[0].entries.first?.envelope == Data())

        let noRecipients = try await store.accept([Fixtures.message(from: "alice", to: [])])
        #expect(noRecipients == [.stored([])])
    }

    static func pendingOrderAfterSeqAndLimit(_ context: ContractContext) async throws {
        let store = try await context.open()
        var all: [MailboxEntry] = []
        for _ in 0..<4 {
            // Separate calls, interleaved with someone else's mail, as real traffic arrives.
            let outcomes = try await store.accept([
                Fixtures.message(from: "alice", to: ["bob"]),
                Fixtures.message(from: "alice", to: ["carol"]),
                Fixtures.message(from: "dave", to: ["bob"]),
            ])
            all += outcomes.flatMap(\.entries).filter { $0.recipient == "bob" }
        }
        #expect(all.count == 8)

        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 100) == all)
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 3) == Array(all[0..<3]))
        #expect(try await store.pending(for: "bob", afterSeq: all[2].seq, limit: 3) == Array(all[3..<6]))
        #expect(try await store.pending(for: "bob", afterSeq: all[7].seq, limit: 3).isEmpty)
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 0).isEmpty)
    }

    static func acknowledgeOnlyOwnEntries(_ context: ContractContext) async throws {
        let store = try await context.open()
        let outcomes = try await store.accept([
            Fixtures.message(from: "alice", to: ["bob", "carol"]),
            Fixtures.message(from: "alice", to: ["bob"]),
        ])
        let bob = outcomes.flatMap(\.entries).filter { $0.recipient == "bob" }
        let carol = outcomes.flatMap(\.entries).filter { $0.recipient == "carol" }

        let acked = try await store.acknowledge(
            recipient: "bob", seqs: [bob[1].seq, carol[0].seq, 999_999, bob[0].seq, bob[1].seq])
        #expect(acked == bob, "the caller's entries, by seq, each once")
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10).isEmpty)
        #expect(try await store.pending(for: "carol", afterSeq: 0, limit: 10) == carol)
        #expect(try await store.acknowledge(recipient: "bob", seqs: bob.map(\.seq)).isEmpty)
    }

    /// Clients keep the last seq they saw as a cursor; a reused seq would hide a message from them.
    static func seqsAreNeverReused(_ context: ContractContext) async throws {
        let store = try await context.open()
        let first = try await store.accept([Fixtures.message(from: "alice", to: ["bob"])])[0].entries
        _ = try await store.acknowledge(recipient: "bob", seqs: first.map(\.seq))
        let second = try await store.accept([Fixtures.message(from: "alice", to: ["bob"])])[0].entries
        #expect(second[0].seq > first[0].seq)
    }
}
