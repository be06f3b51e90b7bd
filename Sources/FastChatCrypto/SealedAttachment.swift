import Foundation

/// An attachment as the sender uploads it: the ciphertext chunks, in order, and what the recipient needs to open and
/// check them. `chunks` go to the server; `key`, `sha256` and `size` travel only inside the end-to-end encrypted
/// message that announces the attachment.
public struct SealedAttachment: Sendable, Hashable {
    /// The random 256-bit ChaCha20-Poly1305 key, used for this attachment only.
    public let key: Data
    /// Chunk i is the ciphertext of plaintext bytes [i * chunkSize, (i + 1) * chunkSize) followed by its 16-byte tag;
    /// the nonce is not stored, it is derived from i.
    public let chunks: [Data]
    /// SHA-256 of the plaintext.
    public let sha256: Data
    /// Length of the plaintext in bytes.
    public let size: Int

    public init(key: Data, chunks: [Data], sha256: Data, size: Int) {
        self.key = key
        self.chunks = chunks
        self.sha256 = sha256
        self.size = size
    }
}
