import FastChatProtocol
import FastChatStore
import Foundation

/// Encrypted image uploads and downloads. The node only ever holds ciphertext chunks.
extension ConnectionHandler {
    /// A sealed chunk: at most this many plaintext bytes plus the AEAD tag (and some slack for future formats).
    static let maxBlobChunkBytes = 64 * 1024 + 256

    func uploadBlob(_ request: Fastchat_V1_UploadBlob, requestID: UInt64) async throws {
        let session = try signedInUser()
        let blobs = try blobStore()
        guard let id = UUID(bytes: request.blobID) else {
            throw ProtocolError(.badRequest, "The upload id must be 16 bytes.")
        }
        guard request.chunk.count <= Self.maxBlobChunkBytes else {
            throw ProtocolError(.badRequest, "An upload chunk may hold at most \(Self.maxBlobChunkBytes) bytes.")
        }
        let limit = services.configuration.maxImageBytes
        guard request.size <= limit else {
            throw ProtocolError(.badImage, "The image is larger than this server's limit of \(limit >> 20) MiB.")
        }
        // Enough chunks for the announced size, no more: an upload cannot grow past the limit.
        guard Int(request.index) <= Int(request.size) / (64 * 1024) + 1 else {
            throw ProtocolError(.badRequest, "The upload has more chunks than its announced size needs.")
        }
        do {
            try await blobs.putBlobChunk(
                id: id, uploader: session.username, index: Int(request.index), data: request.chunk,
                last: request.last, size: Int(request.size), quota: services.configuration.uploadQuotaBytes)
        } catch StoreError.blobRejected(let sentence) {
            throw ProtocolError(.badRequest, sentence)
        } catch let error as StoreError {
            guard case .uploadQuotaExceeded = error else { throw error }
            services.metrics.uploadQuotaRefused.increment()
            throw ProtocolError(.badImage, error.description)
        }
        outbox.reply(to: requestID, .ok(.init()))
    }

    /// Only the uploader and the recipients of a message referring to the blob get it; anyone else hears that it is
    /// not on the server, as for an id that never existed, so that ids leak nothing. Fetching deletes nothing: the
    /// blob goes with the acknowledgement of the last message referring to it (`ChatStore.acknowledge`).
    func fetchBlob(_ request: Fastchat_V1_FetchBlob, requestID: UInt64) async throws {
        let session = try signedInUser()
        let blobs = try blobStore()
        guard let id = UUID(bytes: request.blobID),
            let chunk = try await blobs.blobChunk(id: id, index: Int(request.index), reader: session.username)
        else {
            throw ProtocolError(.badImage, "That image is not on the server (it may have expired).")
        }
        outbox.reply(
            to: requestID,
            .blobChunk(.with {
                $0.index = request.index
                $0.chunk = chunk.data
                $0.last = chunk.last
            })
        )
    }

    /// Most blobs one message may refer to: each is linked to every recipient's entry, so this bounds the rows a
    /// group message adds.
    static let maxBlobsPerMessage = 16

    /// The blob ids an envelope names, for `accept` to link to its entries (it ignores any that is not a complete
    /// upload of the sender's).
    static func blobs(of envelope: Envelope) throws -> [UUID] {
        guard envelope.blobIds.count <= maxBlobsPerMessage else {
            throw ProtocolError(.badRequest, "A message may refer to at most \(maxBlobsPerMessage) images.")
        }
        return try envelope.blobIds.map { bytes in
            guard let id = UUID(bytes: bytes) else {
                throw ProtocolError(.badRequest, "An image id must be 16 bytes.")
            }
            return id
        }
    }

    private func blobStore() throws -> any BlobStore {
        guard let blobs = services.blobs else {
            throw ProtocolError(.badImage, "This server does not store images.")
        }
        return blobs
    }
}
