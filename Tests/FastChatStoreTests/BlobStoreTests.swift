@testable import FastChatStore
import Foundation
import Testing

/// Both stores' blobs: SQLite always, PostgreSQL when `FASTCHAT_TEST_POSTGRES_URL` is set.
@Suite struct BlobStoreTests {
    private func withStore(on kind: StoreKind, _ body: (any BlobStore) async throws -> Void) async throws {
        try await ContractContext.run(on: try kind.backend()) { context in
            let store = try #require(try await context.open() as? any BlobStore, "the \(kind) store keeps blobs")
            try await body(store)
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
    func chunksComeBackInOrderOnceComplete(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            let chunks = [Fixtures.bytes(10), Fixtures.bytes(20), Fixtures.bytes(5)]
            let id = UUID()
            try await store.putBlobChunk(id: id, uploader: "alice", index: 0, data: chunks[0], last: false, size: 35)
            #expect(try await store.blobChunk(id: id, index: 0) == nil, "an unfinished upload is not served")
            try await store.putBlobChunk(id: id, uploader: "alice", index: 1, data: chunks[1], last: false, size: 35)
            try await store.putBlobChunk(id: id, uploader: "alice", index: 2, data: chunks[2], last: true, size: 35)
            for (index, chunk) in chunks.enumerated() {
                let stored = try #require(try await store.blobChunk(id: id, index: index))
                #expect(stored.data == chunk)
                #expect(stored.last == (index == 2))
            }
            #expect(try await store.blobChunk(id: id, index: 3) == nil)
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
    func deletedOnceEveryRecipientFetchedIt(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            let id = try await upload(store, [Fixtures.bytes(8), Fixtures.bytes(8)])
            #expect(try await store.referenceBlob(id: id, uploader: "mallory", recipients: 2) == false)
            #expect(try await store.referenceBlob(id: id, uploader: "alice", recipients: 2))
            #expect(try await store.blobFetched(id: id, by: "bob") == false)
            #expect(try await store.blobFetched(id: id, by: "bob") == false, "fetching twice counts once")
            #expect(try await store.blobChunk(id: id, index: 0) != nil)
            #expect(try await store.blobFetched(id: id, by: "carol"))
            #expect(try await store.blobChunk(id: id, index: 0) == nil)
        }
    }

    @Test(arguments: StoreKind.configured)
    func expiredAndUnreferencedUploadsAreDeleted(_ kind: StoreKind) async throws {
        try await withStore(on: kind) { store in
            let old = try await upload(store, [Fixtures.bytes(4)])
            #expect(try await store.deleteBlobs(createdBefore: Date().addingTimeInterval(-60)) == 0)
            #expect(try await store.deleteBlobs(createdBefore: Date().addingTimeInterval(1)) == 1)
            #expect(try await store.blobChunk(id: old, index: 0) == nil)

            let unreferenced = try await upload(store, [Fixtures.bytes(4)])
            let referenced = try await upload(store, [Fixtures.bytes(4)])
            #expect(try await store.referenceBlob(id: referenced, uploader: "alice", recipients: 1))
            #expect(try await store.deleteUnreferencedBlobs(createdBefore: Date().addingTimeInterval(1)) == 1)
            #expect(try await store.blobChunk(id: unreferenced, index: 0) == nil)
            #expect(try await store.blobChunk(id: referenced, index: 0) != nil)
        }
    }
}
