import Foundation

/// Encrypted image uploads: ciphertext chunks the node stores until the last mailbox entry referring to them is
/// acknowledged, or until they expire. `ChatStore.accept` links a blob to the entries of a message that refers to it
/// (`IncomingMessage.blobs`) and `ChatStore.acknowledge` deletes it with the last of them, each in its own
/// transaction. Separate from `ChatStore` so a backend can offer messaging before it offers images; a node whose
/// store is not a `BlobStore` announces a maximum image size of 0.
public protocol BlobStore: Sendable {
    /// Appends chunk `index` of blob `id`. Chunk 0 creates the blob (owned by `uploader`, announcing `size`
    /// plaintext bytes) if the sizes of the uploader's blobs still stored, with this one, stay within `quota`
    /// (`StoreError.uploadQuotaExceeded` otherwise); later chunks must come in order from the same uploader, and
    /// none after the last one. Throws `StoreError.blobRejected` otherwise.
    func putBlobChunk(id: UUID, uploader: String, index: Int, data: Data, last: Bool, size: Int, quota: Int) async throws
    /// Chunk `index` of a complete blob and whether it is the last, for `reader`: its uploader, or the recipient of
    /// a mailbox entry linked to it. Nil if there is no such complete blob or chunk, or `reader` may not have it (the
    /// same answer, so a stranger learns nothing). Fetching changes nothing.
    func blobChunk(id: UUID, index: Int, reader: String) async throws -> (data: Data, last: Bool)?
    /// Deletes blobs created before `cutoff` (expired), linked or not; returns how many.
    func deleteBlobs(createdBefore cutoff: Date) async throws -> Int
    /// Deletes uploads created before `cutoff` that no mailbox entry refers to; returns how many.
    func deleteUnreferencedBlobs(createdBefore cutoff: Date) async throws -> Int
}

extension BlobStore {
    /// `putBlobChunk` without an upload quota.
    public func putBlobChunk(id: UUID, uploader: String, index: Int, data: Data, last: Bool, size: Int) async throws {
        try await putBlobChunk(id: id, uploader: uploader, index: index, data: data, last: last, size: size, quota: .max)
    }
}
