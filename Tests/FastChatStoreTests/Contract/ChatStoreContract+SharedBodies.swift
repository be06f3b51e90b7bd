import FastChatStore
import Foundation
import Testing

/// Group messages: a body stored once, shared by every recipient's entry.
extension ChatStoreContract {
    static func sharedBodyCompletesEveryRecipientsItem(_ context: ContractContext) async throws {
        let store = try await context.open()
        let body = Fixtures.bytes(4096)
        let group = IncomingMessage(
            sender: "alice", messageID: UUID(),
            copies: ["bob", "carol", "bob"].map { .init(recipient: $0, envelope: Fixtures.bytes(20)) }, sharedBody: body)
        let direct = Fixtures.message(from: "alice", to: ["bob"])
        let outcomes = try await store.accept([group, direct])
        let entries = outcomes[0].entries
        #expect(entries.map(\.recipient) == ["bob", "carol"])
        #expect(entries.map(\.envelope) == [group.copies[0].envelope + body, group.copies[1].envelope + body])
        #expect(entries.map(\.byteCount) == entries.map(\.envelope.count))
        #expect(outcomes[1].entries.map(\.envelope) == [direct.copies[0].envelope], "a 1:1 message is unchanged")

        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10) == [entries[0]] + outcomes[1].entries)
        #expect(try await store.pending(for: "carol", afterSeq: 0, limit: 10) == [entries[1]])
        // Acknowledged, an entry comes back whole; the other recipient's entry still is.
        #expect(try await store.acknowledge(recipient: "bob", seqs: [entries[0].seq]) == [entries[0]])
        #expect(try await store.pending(for: "carol", afterSeq: 0, limit: 10).map(\.envelope) == [entries[1].envelope])
        #expect(try await store.acknowledge(recipient: "carol", seqs: [entries[1].seq]) == [entries[1]])
    }

    static func duplicateWithSharedBodyStoresNothing(_ context: ContractContext) async throws {
        let store = try await context.open()
        let id = UUID()
        func message(body: Data) -> IncomingMessage {
            IncomingMessage(
                sender: "alice", messageID: id, copies: [.init(recipient: "bob", envelope: Fixtures.bytes(8))],
                sharedBody: body)
        }
        let original = message(body: Fixtures.bytes(100))
        let outcomes = try await store.accept([original, message(body: Fixtures.bytes(50))])
        #expect(outcomes[1] == .duplicate)
        #expect(try await store.accept([message(body: Fixtures.bytes(70))]) == [.duplicate])
        #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10) == outcomes[0].entries)
        #expect(outcomes[0].entries.map(\.envelope) == [original.copies[0].envelope + original.sharedBody!])
    }

    /// A recipient's quota counts the body once per entry sharing it, as what they will receive.
    static func quotaCountsTheSharedBodyPerRecipient(_ context: ContractContext) async throws {
        let store = try await context.open()
        func message(to recipients: [String], part: Int, body: Int) -> IncomingMessage {
            IncomingMessage(
                sender: "alice", messageID: UUID(),
                copies: recipients.map { .init(recipient: $0, envelope: Fixtures.bytes(part)) },
                sharedBody: Fixtures.bytes(body), quota: MailboxQuota(entries: 10, bytes: 100))
        }
        // 10 + 80 for each of bob and carol: both fit, although 170 bytes are stored.
        #expect(try await store.accept([message(to: ["bob", "carol"], part: 10, body: 80)]).map(\.entries.count) == [2])
        // Each has 90 of 100: 11 more is too much for either, 10 fits.
        #expect(try await store.accept([message(to: ["bob"], part: 1, body: 10)]) == [.mailboxFull(["bob"])])
        #expect(try await store.accept([message(to: ["carol"], part: 2, body: 8)]).map(\.entries.count) == [1])
    }
}
