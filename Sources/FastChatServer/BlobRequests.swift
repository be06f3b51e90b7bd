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
                last: request.last, size: Int(request.size))
        } catch StoreError.blobRejected(let sentence) {
            throw ProtocolError(.badRequest, sentence)
        }
        outbox.reply(to: requestID, .ok(.init()))
    }

    func fetchBlob(_ request: Fastchat_V1_FetchBlob, requestID: UInt64) async throws {
        let session = try signedInUser()
        let blobs = try blobStore()
        guard let id = UUID(bytes: request.blobID),
            let chunk = try await blobs.blobChunk(id: id, index: Int(request.index))
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
        if chunk.last, try await blobs.blobFetched(id: id, by: session.username) {
            logger.debug("Image fetched by every recipient; deleted", metadata: ["blob": "\(id)"])
        }
    }

    /// After a message referring to blobs was stored for `recipients` copies: keep them until each has fetched.
    static func referenceBlobs(of envelope: Envelope, sender: String, recipients: Int, services: NodeServices) async {
        guard let blobs = services.blobs else { return }
        for blobID in envelope.blobIds {
            guard let id = UUID(bytes: blobID) else { continue }
            _ = try? await blobs.referenceBlob(id: id, uploader: sender, recipients: recipients)
        }
    }

    private func blobStore() throws -> any BlobStore {
        guard let blobs = services.blobs else {
            throw ProtocolError(.badImage, "This server does not store images.")
        }
        return blobs
    }
}
