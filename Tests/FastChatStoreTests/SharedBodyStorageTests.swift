@testable import FastChatStore
import Foundation
import Testing

/// What a group message costs the store: its body once, whatever the number of members, until the last of them
/// acknowledges it. SQLite always, PostgreSQL when `FASTCHAT_TEST_POSTGRES_URL` is set.
@Suite struct SharedBodyStorageTests {
    private func withStores(
        on kind: StoreKind, count: Int = 1, _ body: ([any ChatStore & MailboxStorageInspecting]) async throws -> Void
    ) async throws {
        try await ContractContext.run(on: try kind.backend()) { context in
            var stores: [any ChatStore & MailboxStorageInspecting] = []
            for _ in 0..<count {
                stores.append(try #require(try await context.open() as? any ChatStore & MailboxStorageInspecting))
            }
            try await body(stores)
        }
    }

    /// A group message as a node hands it over: a small part per member, the body once.
    static func groupMessage(to members: [String], bodyBytes: Int, partBytes: Int = 200) -> IncomingMessage {
        IncomingMessage(
            sender: "alice", messageID: UUID(),
            copies: members.map { .init(recipient: $0, envelope: Fixtures.bytes(partBytes)) },
            sharedBody: Fixtures.bytes(bodyBytes))
    }

    static let twelve = (1...12).map { "member\($0)" }

    @Test(arguments: StoreKind.configured)
    func aGroupMessageToTwelveMembersStoresItsCiphertextOnce(_ kind: StoreKind) async throws {
        try await withStores(on: kind) { stores in
            let store = stores[0]
            let body = 1 << 20
            let message = Self.groupMessage(to: Self.twelve, bodyBytes: body)
            let entries = try await store.accept([message])[0].entries
            #expect(entries.count == 12)

            let stored = try await store.mailboxStorage()
            #expect(stored == MailboxStorage(bodies: 1, bodyBytes: body, entryBytes: 12 * 200))
            #expect(stored.bodyBytes + stored.entryBytes < 12 * body / 10, "far below twelve copies")

            // A duplicate (another node retrying, say) writes nothing, not even with another body.
            var retry = Self.groupMessage(to: Self.twelve, bodyBytes: 1000)
            retry.messageID = message.messageID
            #expect(try await store.accept([retry, message]) == [.duplicate, .duplicate])
            #expect(try await store.mailboxStorage() == stored)

            // Every member reads their whole item.
            for (member, copy) in zip(Self.twelve, message.copies) {
                let pending = try await store.pending(for: member, afterSeq: 0, limit: 10)
                #expect(pending.map(\.envelope) == [copy.envelope + message.sharedBody!])
            }
        }
    }

    @Test(arguments: StoreKind.configured)
    func theBodyGoesWithTheLastAcknowledgementAndNotBefore(_ kind: StoreKind) async throws {
        try await withStores(on: kind) { stores in
            let store = stores[0]
            let message = Self.groupMessage(to: Self.twelve, bodyBytes: 5000)
            let entries = try await store.accept([message])[0].entries
            let whole = message.copies.map { $0.envelope + message.sharedBody! }
            // Eleven acknowledge, some in one batch: each gets its whole entry back (for receipts); the body stays.
            let batch = entries[0..<5].map { Acknowledgement(recipient: $0.recipient, seqs: [$0.seq]) }
            #expect(try await store.acknowledge(batch).map { $0.map(\.envelope) } == whole[0..<5].map { [$0] })
            for (entry, item) in zip(entries[5..<11], whole[5..<11]) {
                #expect(try await store.acknowledge(recipient: entry.recipient, seqs: [entry.seq]).map(\.envelope) == [item])
                #expect(try await store.mailboxStorage().bodies == 1)
            }
            let last = entries[11]
            #expect(try await store.pending(for: last.recipient, afterSeq: 0, limit: 10).map(\.envelope) == [whole[11]])
            #expect(try await store.acknowledge(recipient: last.recipient, seqs: [last.seq]).map(\.envelope) == [whole[11]])
            #expect(try await store.mailboxStorage() == MailboxStorage(bodies: 0, bodyBytes: 0, entryBytes: 0))
        }
    }

    /// The last two members acknowledging at the same moment, through two stores (two nodes): the body still goes.
    @Test(arguments: StoreKind.configured)
    func concurrentLastAcknowledgementsDeleteTheBody(_ kind: StoreKind) async throws {
        try await withStores(on: kind, count: 2) { stores in
            for _ in 0..<10 {
                let entries = try await stores[0].accept([Self.groupMessage(to: ["bob", "carol"], bodyBytes: 3000)])[0].entries
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (store, entry) in zip(stores, entries) {
                        group.addTask { _ = try await store.acknowledge(recipient: entry.recipient, seqs: [entry.seq]) }
                    }
                    try await group.waitForAll()
                }
                #expect(try await stores[0].mailboxStorage() == MailboxStorage(bodies: 0, bodyBytes: 0, entryBytes: 0))
            }
        }
    }

    /// An entry stored whole before shared bodies existed (written by an older release into `store`'s database).
    static func expectOldEntryStaysWhole(_ store: any ChatStore, messageID: UUID, item: Data) async throws {
        // The upgrade counted the old entry in bob's usage (v10-mailbox-usage): one entry and its bytes.
        func toBob(quota: MailboxQuota) -> IncomingMessage {
            var message = Fixtures.message(from: "alice", to: ["bob"], envelope: Fixtures.bytes(10))
            message.quota = quota
            return message
        }
        #expect(try await store.accept([toBob(quota: MailboxQuota(entries: 1, bytes: .max))]) == [.mailboxFull(["bob"])])
        #expect(try await store.accept([toBob(quota: MailboxQuota(entries: 2, bytes: item.count + 9))]) == [.mailboxFull(["bob"])])
        let group = groupMessage(to: ["bob", "carol"], bodyBytes: 700)
        _ = try await store.accept([group])
        let pending = try await store.pending(for: "bob", afterSeq: 0, limit: 10)
        #expect(pending.map(\.messageID) == [messageID, group.messageID])
        #expect(pending.map(\.envelope) == [item, group.copies[0].envelope + group.sharedBody!])
        #expect(try await store.acknowledge(recipient: "bob", seqs: [pending[0].seq]).map(\.envelope) == [item])
    }
}
