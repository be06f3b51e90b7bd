@testable import FastChatStore
import Foundation
import Testing

/// Both stores' blobs: SQLite always, PostgreSQL when `FASTCHAT_TEST_POSTGRES_URL` is set.
@Suite struct BlobStoreTests {
    private func withStore(on kind: StoreKind, _ body: (any ChatStore & BlobStore) async throws -> Void) async throws {
        try await ContractContext.run(on: try kind.backend()) { context in
            let store = try #require(
                try await context.open() as? any ChatStore & BlobStore, "the \(kind) store keeps blobs")
            try await body(store)
        }
    }

    /// Accepts `message` and returns its entries (none for a duplicate).
    private func accept(_ store: any ChatStore, _ message: IncomingMessage) async throws -> [MailboxEntry] {
        switch try await store.accept([message]).first {
        case .stored(let entries): entries
        case .duplicate, .missingImage, .mailboxFull, nil: []
        }
    }

    private func upload(_ store: any BlobStore, _ chunks: [Data], id: UUID = UUID(), by uploader: String = "alice") async throws -> UUID {
        for (index, chunk) in chunks.enumerated() {
            try await store.putBlobChunk(
                id: id, uploader: uploader, index: index, data: chunk, last: index == chunks.count - 1, size: 100)
        }
        return id
    }

    @Test(arguments: StoreKind.configured)
    func anUploadBeyondTheUploadersQuotaIsRefused(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            try await store.putBlobChunk(id: UUID(), uploader: "alice", index: 0, data: Fixtures.bytes(8), last: true, size: 60, quota: 100)
            let refused = UUID()
            await #expect(throws: StoreError.uploadQuotaExceeded(storedBytes: 60, quota: 100)) {
                try await store.putBlobChunk(id: refused, uploader: "alice", index: 0, data: Fixtures.bytes(8), last: true, size: 50, quota: 100)
            }
            // Another uploader has their own room; alice still fits what is left.
            try await store.putBlobChunk(id: UUID(), uploader: "bob", index: 0, data: Fixtures.bytes(8), last: true, size: 90, quota: 100)
            try await store.putBlobChunk(id: UUID(), uploader: "alice", index: 0, data: Fixtures.bytes(8), last: true, size: 40, quota: 100)
            // Once her images are gone, the refused one fits, under the same id.
            _ = try await store.deleteBlobs(createdBefore: Date().addingTimeInterval(3600))
            try await store.putBlobChunk(id: refused, uploader: "alice", index: 0, data: Fixtures.bytes(8), last: true, size: 50, quota: 100)
        }
    }

    @Test(arguments: StoreKind.configured)
    func chunksComeBackInOrderOnceComplete(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            let chunks = [Fixtures.bytes(10), Fixtures.bytes(20), Fixtures.bytes(5)]
            let id = UUID()
            try await store.putBlobChunk(id: id, uploader: "alice", index: 0, data: chunks[0], last: false, size: 35)
            #expect(try await store.blobChunk(id: id, index: 0, reader: "alice") == nil, "an unfinished upload is not served")
            try await store.putBlobChunk(id: id, uploader: "alice", index: 1, data: chunks[1], last: false, size: 35)
            try await store.putBlobChunk(id: id, uploader: "alice", index: 2, data: chunks[2], last: true, size: 35)
            for (index, chunk) in chunks.enumerated() {
                let stored = try #require(try await store.blobChunk(id: id, index: index, reader: "alice"))
                #expect(stored.data == chunk)
                #expect(stored.last == (index == 2))
            }
            #expect(try await store.blobChunk(id: id, index: 3, reader: "alice") == nil)
        }
    }

    @Test(arguments: StoreKind.configured)
    func outOfOrderForeignAndLateChunksAreRejected(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            let id = UUID()
            try await store.putBlobChunk(id: id, uploader: "alice", index: 0, data: Fixtures.bytes(3), last: false, size: 9)
            await #expect(throws: StoreError.self) {
                try await store.putBlobChunk(id: id, uploader: "alice", index: 2, data: Fixtures.bytes(3), last: false, size: 9)
            }
            await #expect(throws: StoreError.self) {
                try await store.putBlobChunk(id: id, uploader: "mallory", index: 1, data: Fixtures.bytes(3), last: true, size: 9)
            }
            await #expect(throws: StoreError.self) {
                try await store.putBlobChunk(id: id, uploader: "mallory", index: 0, data: Fixtures.bytes(3), last: true, size: 9)
            }
            try await store.putBlobChunk(id: id, uploader: "alice", index: 1, data: Fixtures.bytes(3), last: true, size: 9)
            await #expect(throws: StoreError.self) {
                try await store.putBlobChunk(id: id, uploader: "alice", index: 2, data: Fixtures.bytes(3), last: true, size: 9)
            }
        }
    }

    @Test(arguments: StoreKind.configured)
    func onlyTheUploaderAndLinkedRecipientsReadABlob(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            let id = try await upload(store, [Fixtures.bytes(8)])
            #expect(try await store.blobChunk(id: id, index: 0, reader: "bob") == nil, "not linked to bob yet")
            _ = try await accept(store, IncomingMessage(
                sender: "alice", messageID: UUID(), recipients: ["bob"], envelope: Fixtures.bytes(8), blobs: [id]))
            #expect(try await store.blobChunk(id: id, index: 0, reader: "alice") != nil)
            #expect(try await store.blobChunk(id: id, index: 0, reader: "bob") != nil)
            #expect(try await store.blobChunk(id: id, index: 0, reader: "mallory") == nil)

            // Nobody can make another's upload readable by naming it in their own message.
            let carols = try await upload(store, [Fixtures.bytes(8)], by: "carol")
            let mallorys = IncomingMessage(
                sender: "mallory", messageID: UUID(), recipients: ["mallory"], envelope: Fixtures.bytes(8),
                blobs: [carols])
            #expect(try await store.accept([mallorys]) == [.missingImage])
            #expect(try await store.blobChunk(id: carols, index: 0, reader: "mallory") == nil)
        }
    }

    @Test(arguments: StoreKind.configured)
    func aNewMessageNamingAMissingImageIsNotAccepted(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            let id = UUID()
            let message = IncomingMessage(
                sender: "alice", messageID: UUID(), recipients: ["bob"], envelope: Fixtures.bytes(8), blobs: [id])
            let other = Fixtures.message(from: "alice", to: ["bob"])
            #expect(try await store.accept([message, other]).dropLast() == [.missingImage], "never uploaded")
            try await store.putBlobChunk(id: id, uploader: "alice", index: 0, data: Fixtures.bytes(8), last: false, size: 16)
            #expect(try await store.accept([message]) == [.missingImage], "unfinished")
            #expect(try await store.pending(for: "bob", afterSeq: 0, limit: 10).map(\.messageID) == [other.messageID])

            try await store.putBlobChunk(id: id, uploader: "alice", index: 1, data: Fixtures.bytes(8), last: true, size: 16)
            let entries = try await accept(store, message)
            #expect(entries.count == 1, "the id was not taken by the refusals")
            _ = try await store.acknowledge(recipient: "bob", seqs: entries.map(\.seq))
            #expect(try await store.blobChunk(id: id, index: 0, reader: "alice") == nil)
            #expect(try await store.accept([message]) == [.duplicate], "a repeat is a duplicate, its blob rightly gone")
        }
    }

    @Test(arguments: StoreKind.configured)
    func fetchingKeepsItAndTheLastAcknowledgementDeletesIt(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            let id = try await upload(store, [Fixtures.bytes(8), Fixtures.bytes(8)])
            let entries = try await accept(store, IncomingMessage(
                sender: "alice", messageID: UUID(), recipients: ["bob", "carol"], envelope: Fixtures.bytes(8),
                blobs: [id]))
            #expect(entries.count == 2)
            for reader in ["bob", "carol", "bob"] {
                #expect(try await store.blobChunk(id: id, index: 1, reader: reader)?.last == true)
            }
            let (bob, carol) = (entries[0], entries[1])
            #expect(try await store.acknowledge(recipient: "bob", seqs: [bob.seq]).map(\.seq) == [bob.seq])
            #expect(try await store.blobChunk(id: id, index: 0, reader: "carol") != nil, "carol has not acknowledged")
            #expect(try await store.blobChunk(id: id, index: 0, reader: "bob") == nil, "bob's link went with his entry")
            _ = try await store.acknowledge(recipient: "carol", seqs: [carol.seq])
            #expect(try await store.blobChunk(id: id, index: 0, reader: "alice") == nil, "gone with the last entry")
        }
    }

    @Test(arguments: StoreKind.configured)
    func aDuplicateLinksTheOriginalsPendingEntries(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            let id = try await upload(store, [Fixtures.bytes(8)])
            let messageID = UUID()
            // As a node that accepted the original without linking it would have left it (an older release, or a
            // crash between the two steps before they shared a transaction).
            let original = try await accept(store, IncomingMessage(
                sender: "alice", messageID: messageID, recipients: ["bob"], envelope: Fixtures.bytes(8)))
            #expect(original.count == 1)
            let retry = IncomingMessage(
                sender: "alice", messageID: messageID, recipients: ["bob"], envelope: Fixtures.bytes(8), blobs: [id])
            #expect(try await store.accept([retry]) == [.duplicate])
            #expect(try await store.deleteUnreferencedBlobs(createdBefore: Date().addingTimeInterval(60)) == 0)
            #expect(try await store.blobChunk(id: id, index: 0, reader: "bob") != nil)
            #expect(try await store.accept([retry]) == [.duplicate], "linking twice is harmless")
            _ = try await store.acknowledge(recipient: "bob", seqs: original.map(\.seq))
            #expect(try await store.blobChunk(id: id, index: 0, reader: "alice") == nil)
        }
    }

    @Test(arguments: StoreKind.configured)
    func expiredAndUnreferencedUploadsAreDeleted(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            let old = try await upload(store, [Fixtures.bytes(4)])
            #expect(try await store.deleteBlobs(createdBefore: Date().addingTimeInterval(-60)) == 0)
            #expect(try await store.deleteBlobs(createdBefore: Date().addingTimeInterval(1)) == 1)
            #expect(try await store.blobChunk(id: old, index: 0, reader: "alice") == nil)

            let unreferenced = try await upload(store, [Fixtures.bytes(4)])
            let referenced = try await upload(store, [Fixtures.bytes(4)])
            _ = try await accept(store, IncomingMessage(
                sender: "alice", messageID: UUID(), recipients: ["bob"], envelope: Fixtures.bytes(8),
                blobs: [referenced]))
            #expect(try await store.deleteUnreferencedBlobs(createdBefore: Date().addingTimeInterval(1)) == 1)
            #expect(try await store.blobChunk(id: unreferenced, index: 0, reader: "alice") == nil)
            #expect(try await store.blobChunk(id: referenced, index: 0, reader: "alice") != nil)
            #expect(try await store.deleteBlobs(createdBefore: Date().addingTimeInterval(1)) == 1, "expiry takes it")
        }
    }

    /// After the upgrade to blob links: a blob a message referred to before keeps the old rule until it expires
    /// (any signed-in user may fetch it, the unreferenced-upload sweep leaves it), since the old schema did not
    /// record which entries referred to it; an upload nothing referred to is swept as before.
    static func expectLegacyRules(_ store: any BlobStore, referenced: UUID, unreferenced: UUID) async throws {
        #expect(try await store.blobChunk(id: referenced, index: 0, reader: "bob")?.data == Data([1, 2, 3, 4]))
        #expect(try await store.deleteUnreferencedBlobs(createdBefore: Date().addingTimeInterval(60)) == 1)
        #expect(try await store.blobChunk(id: unreferenced, index: 0, reader: "alice") == nil)
        #expect(try await store.blobChunk(id: referenced, index: 0, reader: "bob") != nil)
        #expect(try await store.deleteBlobs(createdBefore: Date().addingTimeInterval(60)) == 1, "until it expires")
    }
}
