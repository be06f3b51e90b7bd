import Foundation
import GRDB

extension SQLiteStore: BlobStore {
    public func putBlobChunk(
        id: UUID, uploader: String, index: Int, data: Data, last: Bool, size: Int, quota: Int
    ) async throws {
        let now = UnixMillis.now().millis
        try await writeTransaction { db in
            let blob = try Row.fetchOne(db.cachedStatement(sql: SQLiteStatements.selectBlob), arguments: [id])
            if index == 0 {
                guard blob == nil else { throw StoreError.blobRejected("That upload id is already in use.") }
                let stored = try Int.fetchOne(
                    db.cachedStatement(sql: SQLiteStatements.selectUploadedBytes), arguments: [uploader]) ?? 0
                guard size <= quota - stored else { throw StoreError.uploadQuotaExceeded(storedBytes: stored, quota: quota) }
                try db.cachedStatement(sql: SQLiteStatements.insertBlob).execute(arguments: [id, uploader, size, now])
            } else {
                guard let blob, blob["uploader"] as String == uploader else {
                    throw StoreError.blobRejected("There is no upload with that id to continue.")
                }
                guard !(blob["complete"] as Bool), blob["chunk_count"] as Int == index else {
                    throw StoreError.blobRejected("Upload chunks must come in order, and none after the last one.")
                }
            }
            try db.cachedStatement(sql: SQLiteStatements.insertBlobChunk).execute(arguments: [id, index, data])
            try db.cachedStatement(sql: SQLiteStatements.advanceBlob).execute(arguments: [last, id])
        }
    }

    public func blobChunk(id: UUID, index: Int, reader: String) async throws -> (data: Data, last: Bool)? {
        try await pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: SQLiteStatements.selectBlobChunk), arguments: [id, index, reader, reader]
            ).map { row in (row["data"] as Data? ?? Data(), row["last"] as Bool) }
        }
    }

    public func deleteBlobs(createdBefore cutoff: Date) async throws -> Int {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.deleteBlobsCreatedBefore)
                .execute(arguments: [UnixMillis.from(cutoff)])
            return db.changesCount
        }
    }

    public func deleteUnreferencedBlobs(createdBefore cutoff: Date) async throws -> Int {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.deleteUnreferencedBlobsCreatedBefore)
                .execute(arguments: [UnixMillis.from(cutoff)])
            return db.changesCount
        }
    }
}
