import Foundation
import XCTest
import FastChatCrypto

final class AttachmentCryptoTests: XCTestCase {
    private let chunkSize = AttachmentCrypto.chunkSize

    private func randomData(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        let words = (0..<(count + 7) / 8).map { _ in generator.next() as UInt64 }
        return words.withUnsafeBytes { Data($0.prefix(count)) }
    }

    /// Three full chunks and a short last one.
    private func sealedSample() throws -> (plaintext: Data, sealed: SealedAttachment) {
        let plaintext = randomData(3 * chunkSize + 100)
        let sealed = try AttachmentCrypto.seal(plaintext)
        XCTAssertEqual(sealed.chunks.count, 4)
        return (plaintext, sealed)
    }

    private func open(_ sealed: SealedAttachment, chunks: [Data]? = nil, key: Data? = nil, size: Int? = nil,
                      sha256: Data? = nil) throws -> Data {
        try AttachmentCrypto.open(
            chunks ?? sealed.chunks, key: key ?? sealed.key, size: size ?? sealed.size, sha256: sha256 ?? sealed.sha256)
    }

    // MARK: Round trips

    func testMultiMebibyteBlobRoundTrips() throws {
        let plaintext = randomData(3 * 1024 * 1024)
        let sealed = try AttachmentCrypto.seal(plaintext)
        XCTAssertEqual(sealed.key.count, 32)
        XCTAssertEqual(sealed.size, plaintext.count)
        XCTAssertEqual(sealed.sha256.count, 32)
        XCTAssertEqual(sealed.chunks.count, 48)
        for chunk in sealed.chunks {
            XCTAssertEqual(chunk.count, chunkSize + 16)
        }
        XCTAssertNil(sealed.chunks[0].range(of: plaintext.prefix(64)))
        XCTAssertEqual(try open(sealed), plaintext)
    }

    func testBoundarySizesRoundTrip() throws {
        for (size, chunkCount) in [(0, 1), (1, 1), (chunkSize, 1), (chunkSize + 1, 2), (2 * chunkSize, 2)] {
            let plaintext = randomData(size)
            let sealed = try AttachmentCrypto.seal(plaintext)
            XCTAssertEqual(sealed.chunks.count, chunkCount, "size \(size)")
            XCTAssertEqual(sealed.chunks.last?.count, size - (chunkCount - 1) * chunkSize + 16, "size \(size)")
            XCTAssertEqual(sealed.size, size)
            XCTAssertEqual(try open(sealed), plaintext, "size \(size)")
        }
    }

    func testDigestIsPlainSHA256OfThePlaintext() throws {
        XCTAssertEqual(
            try AttachmentCrypto.seal(Data()).sha256,
            Data(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        let plaintext = randomData(chunkSize + 1)
        XCTAssertEqual(try AttachmentCrypto.seal(plaintext).sha256, referenceSHA256(plaintext))
    }

    func testEverySealUsesAFreshKey() throws {
        let plaintext = randomData(1000)
        let first = try AttachmentCrypto.seal(plaintext)
        let second = try AttachmentCrypto.seal(plaintext)
        XCTAssertNotEqual(first.key, second.key)
        XCTAssertNotEqual(first.chunks, second.chunks)
        XCTAssertEqual(first.sha256, second.sha256)
    }

    func testDataSliceWithOffsetRoundTrips() throws {
        let whole = randomData(3 * 1000 + 7)
        let slice = whole[1000...]
        let sealed = try AttachmentCrypto.seal(slice, chunkSize: 1000)
        XCTAssertEqual(sealed.chunks.count, 3)
        XCTAssertEqual(try open(sealed), Data(slice))
    }

    func testChunksOpenOneByOneAtTheirPositions() throws {
        let (plaintext, sealed) = try sealedSample()
        var streamed = Data()
        for (index, chunk) in sealed.chunks.enumerated() {
            streamed += try AttachmentCrypto.openChunk(
                chunk, index: index, isLast: index == sealed.chunks.count - 1, key: sealed.key)
        }
        XCTAssertEqual(streamed, plaintext)
    }

    func testCustomChunkSize() throws {
        let plaintext = randomData(10)
        let sealed = try AttachmentCrypto.seal(plaintext, chunkSize: 3)
        XCTAssertEqual(sealed.chunks.map(\.count), [19, 19, 19, 17])
        XCTAssertEqual(try open(sealed), plaintext)
        XCTAssertThrowsCryptoError(
            try AttachmentCrypto.seal(plaintext, chunkSize: 0), .invalidParameters("chunkSize must be positive, got 0"))
    }

    // MARK: Reordering, tampering and truncation

    func testSwappedChunksAreRejected() throws {
        let (_, sealed) = try sealedSample()
        var chunks = sealed.chunks
        chunks.swapAt(0, 1)
        XCTAssertThrowsCryptoError(try open(sealed, chunks: chunks), .cannotDecrypt)
        // A chunk moved to another position does not open there on its own either.
        XCTAssertThrowsCryptoError(
            try AttachmentCrypto.openChunk(sealed.chunks[1], index: 2, isLast: false, key: sealed.key), .cannotDecrypt)
    }

    func testFlippedByteIsRejected() throws {
        let (_, sealed) = try sealedSample()
        for (index, offset) in [(0, 0), (1, 500), (3, 99), (3, 100 + 15)] {
            var chunks = sealed.chunks
            chunks[index] = chunks[index].flippingBit(at: offset)
            XCTAssertThrowsCryptoError(try open(sealed, chunks: chunks), .cannotDecrypt)
        }
    }

    func testDroppedMiddleChunkIsRejected() throws {
        let (_, sealed) = try sealedSample()
        var chunks = sealed.chunks
        chunks.remove(at: 1)
        XCTAssertThrowsCryptoError(try open(sealed, chunks: chunks), .cannotDecrypt)
    }

    func testDroppedLastChunkIsTruncation() throws {
        let (_, sealed) = try sealedSample()
        XCTAssertThrowsCryptoError(try open(sealed, chunks: Array(sealed.chunks.dropLast())), .truncated)
        XCTAssertThrowsCryptoError(try open(sealed, chunks: Array(sealed.chunks.prefix(1))), .truncated)
        XCTAssertThrowsCryptoError(try open(sealed, chunks: []), .truncated)
        // A middle chunk presented as the last one does not open.
        XCTAssertThrowsCryptoError(
            try AttachmentCrypto.openChunk(sealed.chunks[2], index: 2, isLast: true, key: sealed.key), .cannotDecrypt)
    }

    func testLastChunkPresentedAsMiddleIsRejected() throws {
        let (_, sealed) = try sealedSample()
        XCTAssertThrowsCryptoError(
            try AttachmentCrypto.openChunk(sealed.chunks[3], index: 3, isLast: false, key: sealed.key), .cannotDecrypt)
    }

    func testDuplicatedChunkIsRejected() throws {
        let (_, sealed) = try sealedSample()
        for index in sealed.chunks.indices {
            var chunks = sealed.chunks
            chunks.insert(chunks[index], at: index)
            XCTAssertThrowsCryptoError(try open(sealed, chunks: chunks), .cannotDecrypt)
        }
        XCTAssertThrowsCryptoError(try open(sealed, chunks: sealed.chunks + [sealed.chunks[0]]), .cannotDecrypt)
    }

    func testShortOrEmptyChunkIsRejected() throws {
        let (_, sealed) = try sealedSample()
        for replacement in [Data(), Data(count: 15), sealed.chunks[3].prefix(20)] {
            var chunks = sealed.chunks
            chunks[3] = Data(replacement)
            XCTAssertThrowsCryptoError(try open(sealed, chunks: chunks), .cannotDecrypt)
        }
    }

    func testChunkFromAnotherAttachmentIsRejected() throws {
        let (_, sealed) = try sealedSample()
        let (_, other) = try sealedSample()
        var chunks = sealed.chunks
        chunks[1] = other.chunks[1]
        XCTAssertThrowsCryptoError(try open(sealed, chunks: chunks), .cannotDecrypt)
    }

    // MARK: Keys and announced metadata

    func testWrongKeyIsRejected() throws {
        let (_, sealed) = try sealedSample()
        XCTAssertThrowsCryptoError(try open(sealed, key: sealed.key.flippingBit(at: 31)), .cannotDecrypt)
        XCTAssertThrowsCryptoError(try open(sealed, key: try AttachmentCrypto.seal(Data()).key), .cannotDecrypt)
        XCTAssertThrowsCryptoError(try open(sealed, key: Data(count: 32)), .cannotDecrypt)
        XCTAssertThrowsCryptoError(try open(sealed, key: sealed.key.prefix(16)), .invalidKey)
        XCTAssertThrowsCryptoError(try open(sealed, key: Data()), .invalidKey)
        XCTAssertThrowsCryptoError(
            try AttachmentCrypto.openChunk(sealed.chunks[0], index: 0, isLast: false, key: sealed.key + Data([0])),
            .invalidKey)
    }

    func testWrongDigestOrSizeIsRejected() throws {
        let (_, sealed) = try sealedSample()
        XCTAssertThrowsCryptoError(try open(sealed, sha256: sealed.sha256.flippingBit(at: 0)), .attachmentMismatch)
        XCTAssertThrowsCryptoError(try open(sealed, sha256: Data()), .attachmentMismatch)
        XCTAssertThrowsCryptoError(try open(sealed, size: sealed.size - 1), .attachmentMismatch)
        XCTAssertThrowsCryptoError(try open(sealed, size: sealed.size + 1), .attachmentMismatch)
        XCTAssertThrowsCryptoError(try open(sealed, size: -1), .attachmentMismatch)
        XCTAssertThrowsCryptoError(try open(sealed, size: Int.max), .attachmentMismatch)
    }

    func testBadIndexIsInvalidParameters() throws {
        let (_, sealed) = try sealedSample()
        XCTAssertThrowsError(
            try AttachmentCrypto.openChunk(sealed.chunks[0], index: -1, isLast: false, key: sealed.key)
        ) { error in
            guard case .invalidParameters? = error as? CryptoError else {
                return XCTFail("expected invalidParameters, got \(error)")
            }
        }
    }

    func testNewErrorsHaveDistinctSentences() {
        let errors: [CryptoError] = [.attachmentMismatch, .truncated, .cannotDecrypt]
        XCTAssertEqual(Set(errors.map(\.description)).count, errors.count)
        for description in errors.map(\.description) {
            XCTAssertTrue(description.first?.isUppercase ?? false, description)
            XCTAssertTrue(description.hasSuffix("."), description)
        }
    }
}
