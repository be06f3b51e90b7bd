import Foundation

/// Encrypted image uploads: ciphertext chunks the node stores until every recipient has fetched them, or until
/// they expire. Separate from `ChatStore` so a backend can offer messaging before it offers images; a node whose
/// store is not a `BlobStore` announces a maximum image size of 0.
public protocol BlobStore: Sendable {
    /// Appends chunk `index` of blob `id`. Chunk 0 creates the blob (owned by `uploader`, announcing `size`
    /// plaintext bytes); later chunks must come in order from the same uploader, and none after the last one.
    /// Throws `StoreError.blobRejected` otherwise.
    func putBlobChunk(id: UUID, uploader: String, index: Int, data: Data, last: Bool, size: Int) async throws
    /// Chunk `index` of a complete blob and whether it is the last; nil if there is no such complete blob or chunk.
    func blobChunk(id: UUID, index: Int) async throws -> (data: Data, last: Bool)?
    /// A message referring to the blob was stored for `recipients` recipients: the blob is now kept until each has
    /// fetched it. False if there is no complete blob `id` uploaded by `uploader`.
    func referenceBlob(id: UUID, uploader: String, recipients: Int) async throws -> Bool
    /// Records that `recipient` fetched the whole blob; deletes it once every recipient has. True if it was deleted.
    func blobFetched(id: UUID, by recipient: String) async throws -> Bool
    /// Deletes blobs created before `cutoff` (expired); returns how many.
    func deleteBlobs(createdBefore cutoff: Date) async throws -> Int
    /// Deletes uploads created before `cutoff` that no stored message refers to; returns how many.
    func deleteUnreferencedBlobs(createdBefore cutoff: Date) async throws -> Int
}
