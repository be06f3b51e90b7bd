import Foundation
import PostgresNIO

extension PostgresStore: BlobStore {
    public func putBlobChunk(
        id: UUID, uploader: String, index: Int, data: Data, last: Bool, size: Int, quota: Int
    ) async throws {
        let now = UnixMillis.now().millis
        try await transaction { runner in
            if index == 0 {
                // Two uploads of one user racing can both fit: the quota bounds storage, give or take one image.
                let stored = try await runner.rows(PostgresStatements.selectUploadedBytes, [uploader]).first?
                    .decode(Int64.self) ?? 0
                guard Int64(size) <= Int64(quota) - stored else {
                    throw StoreError.uploadQuotaExceeded(storedBytes: Int(clamping: stored), quota: quota)
                }
                guard try await runner.count(PostgresStatements.insertBlob, [id, uploader, size, now]) > 0 else {
                    throw StoreError.blobRejected("That upload id is already in use.")
                }
            } else {
                guard let row = try await runner.rows(PostgresStatements.lockBlob, [id]).first else {
                    throw StoreError.blobRejected("There is no upload with that id to continue.")
                }
                let (owner, chunkCount, complete) = try row.decode((String, Int, Bool).self)
                guard owner == uploader else {
                    throw StoreError.blobRejected("There is no upload with that id to continue.")
                }
                guard !complete, chunkCount == index else {
                    throw StoreError.blobRejected("Upload chunks must come in order, and none after the last one.")
                }
            }
            try await runner.rows(PostgresStatements.insertBlobChunk, [id, index, data])
            try await runner.rows(PostgresStatements.advanceBlob, [last, id])
        }
    }

    public func blobChunk(id: UUID, index: Int, reader: String) async throws -> (data: Data, last: Bool)? {
        try await run { try await $0.rows(PostgresStatements.selectBlobChunk, [id, index, reader]) }
            .first.map { try $0.decode((Data, Bool).self) }
            .map { (data: $0.0, last: $0.1) }
    }

    public func deleteBlobs(createdBefore cutoff: Date) async throws -> Int {
        try await run { try await $0.count(PostgresStatements.deleteBlobsCreatedBefore, [UnixMillis.from(cutoff)]) }
    }

    public func deleteUnreferencedBlobs(createdBefore cutoff: Date) async throws -> Int {
        try await run {
            try await $0.count(PostgresStatements.deleteUnreferencedBlobsCreatedBefore, [UnixMillis.from(cutoff)])
        }
    }
}
