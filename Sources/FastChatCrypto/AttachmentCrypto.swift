import Foundation
import Crypto

/// Seals and opens attachments (images) in chunks: ChaCha20-Poly1305 under a fresh random 256-bit key per attachment.
/// Chunk i uses a nonce derived from i (the key is never reused, so neither is a nonce) and authenticates the label,
/// i and whether it is the last chunk, so a chunk that was moved, dropped, duplicated or cut off does not open.
public enum AttachmentCrypto {
    /// Plaintext bytes per chunk; every chunk but the last holds exactly this many.
    public static let chunkSize = 64 * 1024

    static let keyByteCount = 32
    static let tagByteCount = 16

    /// Seals `data` in chunks of `chunkSize` plaintext bytes under a fresh random key. Empty data is one empty last
    /// chunk, so every attachment has a last chunk and truncation is always detectable. A `chunkSize` below 1 or more
    /// than 2^32 chunks is `invalidParameters`.
    public static func seal(_ data: Data, chunkSize: Int = chunkSize) throws -> SealedAttachment {
        guard chunkSize > 0 else {
            throw CryptoError.invalidParameters("chunkSize must be positive, got \(chunkSize)")
        }
        let chunkCount = max(1, (data.count + chunkSize - 1) / chunkSize)
        guard chunkCount - 1 <= Int(UInt32.max) else {
            throw CryptoError.invalidParameters("an attachment may have at most 2^32 chunks, got \(chunkCount)")
        }

        let key = SymmetricKey(size: .bits256)
        var chunks = [Data]()
        chunks.reserveCapacity(chunkCount)
        for index in 0..<chunkCount {
            let start = data.startIndex + index * chunkSize
            let end = min(start + chunkSize, data.endIndex)
            let isLast = index == chunkCount - 1
            let box = try ChaChaPoly.seal(
                data[start..<end], using: key, nonce: nonce(index),
                authenticating: associatedData(index: index, isLast: isLast))
            chunks.append(box.ciphertext + box.tag)
        }
        return SealedAttachment(
            key: key.data, chunks: chunks, sha256: Data(SHA256.hash(data: data)), size: data.count)
    }

    /// Opens the chunk at position `index` of the upload; `isLast` says whether it is the final one. A key that is not
    /// 32 bytes is `invalidKey`, a negative or too large index `invalidParameters`; a chunk that was moved, altered,
    /// sealed under another key or with the other last flag is `cannotDecrypt`.
    public static func openChunk(_ chunk: Data, index: Int, isLast: Bool, key: Data) throws -> Data {
        guard key.count == keyByteCount else {
            throw CryptoError.invalidKey
        }
        guard index >= 0, index <= Int(UInt32.max) else {
            throw CryptoError.invalidParameters("a chunk index must be in 0...\(UInt32.max), got \(index)")
        }
        guard chunk.count >= tagByteCount else {
            throw CryptoError.cannotDecrypt
        }
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: nonce(index), ciphertext: chunk.dropLast(tagByteCount), tag: chunk.suffix(tagByteCount))
            return try ChaChaPoly.open(
                box, using: SymmetricKey(data: key), authenticating: associatedData(index: index, isLast: isLast))
        } catch {
            throw CryptoError.cannotDecrypt
        }
    }

    /// Opens every chunk in order and checks the result. In order: the key is 32 bytes (`invalidKey`); every chunk
    /// opens at its position, the final one as the last chunk (`cannotDecrypt`, or `truncated` when the final chunk
    /// opens only as a middle chunk, or there are no chunks at all, i.e. the end was cut off); the plaintext has
    /// `size` bytes and hashes to `sha256` (`attachmentMismatch`).
    public static func open(_ chunks: [Data], key: Data, size: Int, sha256: Data) throws -> Data {
        guard key.count == keyByteCount else {
            throw CryptoError.invalidKey
        }
        guard !chunks.isEmpty else {
            throw CryptoError.truncated
        }
        // Never trust `size` for the allocation: the chunks bound what can come out.
        let ciphertextBytes = chunks.reduce(0) { $0 + max(0, $1.count - tagByteCount) }
        var plaintext = Data(capacity: min(max(size, 0), ciphertextBytes))
        for (index, chunk) in chunks.enumerated() {
            let isLast = index == chunks.count - 1
            do {
                plaintext.append(try openChunk(chunk, index: index, isLast: isLast, key: key))
            } catch CryptoError.cannotDecrypt where isLast {
                // A genuine middle chunk at the end means the chunks after it were cut off.
                if (try? openChunk(chunk, index: index, isLast: false, key: key)) != nil {
                    throw CryptoError.truncated
                }
                throw CryptoError.cannotDecrypt
            }
        }
        guard plaintext.count == size, Data(SHA256.hash(data: plaintext)) == sha256 else {
            throw CryptoError.attachmentMismatch
        }
        return plaintext
    }

    /// 96-bit big-endian chunk counter: eight zero bytes, then the index. Unique per chunk under one key.
    static func nonce(_ index: Int) throws -> ChaChaPoly.Nonce {
        var bytes = Data(count: 8)
        withUnsafeBytes(of: UInt32(index).bigEndian) { bytes.append(contentsOf: $0) }
        return try ChaChaPoly.Nonce(data: bytes)
    }

    /// ChaChaPoly associated data of a chunk: label (length-prefixed), index (UInt32 big-endian), then one byte,
    /// 1 for the last chunk and 0 for every other.
    static func associatedData(index: Int, isLast: Bool) -> Data {
        var encoder = CanonicalEncoder()
        encoder.append(DomainLabel.attachmentChunk)
        encoder.append(UInt32(index))
        var bytes = encoder.bytes
        bytes.append(isLast ? 1 : 0)
        return bytes
    }
}
