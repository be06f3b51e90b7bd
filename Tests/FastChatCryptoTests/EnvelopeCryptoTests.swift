import Foundation
import XCTest
import FastChatCrypto

final class EnvelopeCryptoTests: XCTestCase {
    private let alice = Identity.generate()
    private let bob = Identity.generate()
    private let mallory = Identity.generate()
    private let messageID = UUID()

    private func seal(_ text: String) throws -> SealedEnvelope {
        try EnvelopeCrypto.seal(
            Data(text.utf8), messageID: messageID, sender: "alice", senderIdentity: alice,
            recipient: "bob", recipientKey: bob.publicIdentity)
    }

    private func openAsBob(_ envelope: SealedEnvelope, senderKey: PublicIdentity? = nil) throws -> Data {
        try EnvelopeCrypto.open(
            envelope, recipient: "bob", recipientIdentity: bob, senderKey: senderKey ?? alice.publicIdentity)
    }

    /// Simulates a sender that signs whatever it is given, to prove the HPKE associated data binds the header on its own.
    private func resigned(_ envelope: SealedEnvelope, by identity: Identity) throws -> SealedEnvelope {
        var copy = envelope
        copy.signature = try identity.sign(canonicalSignedBytes(copy))
        return copy
    }

    // MARK: Round trips

    func testRoundTrip() throws {
        let envelope = try seal("hello bob")
        XCTAssertEqual(envelope.version, 1)
        XCTAssertEqual(envelope.messageID, messageID)
        XCTAssertEqual(envelope.sender, "alice")
        XCTAssertEqual(envelope.recipient, "bob")
        XCTAssertEqual(envelope.encapsulatedKey.count, 32)
        XCTAssertEqual(envelope.signature.count, 64)
        XCTAssertNil(envelope.ciphertext.range(of: Data("hello bob".utf8)))
        XCTAssertEqual(String(decoding: try openAsBob(envelope), as: UTF8.self), "hello bob")
    }

    func testLongMessageRoundTrip() throws {
        let text = String((0..<10_240).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        let envelope = try seal(text)
        XCTAssertEqual(envelope.ciphertext.count, 10_240 + 16)
        XCTAssertEqual(String(decoding: try openAsBob(envelope), as: UTF8.self), text)
    }

    func testUnicodeRoundTrip() throws {
        let text = "Hi 👋🏽👨‍👩‍👧 — 你好，世界 — こんにちは — مرحبا بالعالم — שלום עולם — e\u{301}"
        let opened = try openAsBob(try seal(text))
        XCTAssertEqual(opened, Data(text.utf8))
        XCTAssertEqual(String(decoding: opened, as: UTF8.self), text)
    }

    func testEmptyMessageRoundTrip() throws {
        XCTAssertEqual(try openAsBob(try seal("")), Data())
    }

    func testUnicodeUserNamesRoundTrip() throws {
        let envelope = try EnvelopeCrypto.seal(
            Data("hi".utf8), messageID: messageID, sender: "Zoë", senderIdentity: alice,
            recipient: "李雷", recipientKey: bob.publicIdentity)
        let opened = try EnvelopeCrypto.open(
            envelope, recipient: "李雷", recipientIdentity: bob, senderKey: alice.publicIdentity)
        XCTAssertEqual(opened, Data("hi".utf8))
    }

    func testSealingTwiceGivesDifferentCiphertexts() throws {
        let first = try seal("same")
        let second = try seal("same")
        XCTAssertNotEqual(first.encapsulatedKey, second.encapsulatedKey)
        XCTAssertNotEqual(first.ciphertext, second.ciphertext)
    }

    func testSignedBytesMatchTheSpecifiedFormat() throws {
        let envelope = try seal("hello bob")
        XCTAssertEqual(try openAsBob(try resigned(envelope, by: alice)), Data("hello bob".utf8))
    }

    // MARK: Tampering in transit (the signature catches it first)

    func testFlippedCiphertextByteIsRejected() throws {
        var envelope = try seal("hello bob")
        envelope.ciphertext = envelope.ciphertext.flippingBit(at: 3)
        XCTAssertThrowsCryptoError(try openAsBob(envelope), .badSignature)
    }

    func testFlippedEncapsulatedKeyIsRejected() throws {
        var envelope = try seal("hello bob")
        envelope.encapsulatedKey = envelope.encapsulatedKey.flippingBit(at: 0)
        XCTAssertThrowsCryptoError(try openAsBob(envelope), .badSignature)
    }

    func testAlteredSenderIsRejected() throws {
        var envelope = try seal("hello bob")
        envelope.sender = "mallory"
        XCTAssertThrowsCryptoError(try openAsBob(envelope), .badSignature)
    }

    func testAlteredRecipientIsRejected() throws {
        var envelope = try seal("hello bob")
        envelope.recipient = "carol"
        XCTAssertThrowsCryptoError(try openAsBob(envelope), .badSignature)
    }

    func testAlteredMessageIDIsRejected() throws {
        var envelope = try seal("hello bob")
        envelope.messageID = UUID()
        XCTAssertThrowsCryptoError(try openAsBob(envelope), .badSignature)
    }

    func testFlippedSignatureIsRejected() throws {
        var envelope = try seal("hello bob")
        envelope.signature = envelope.signature.flippingBit(at: 10)
        XCTAssertThrowsCryptoError(try openAsBob(envelope), .badSignature)
        envelope.signature = Data()
        XCTAssertThrowsCryptoError(try openAsBob(envelope), .badSignature)
    }

    func testUnknownVersionIsRejected() throws {
        var envelope = try seal("hello bob")
        envelope.version = 2
        XCTAssertThrowsCryptoError(try openAsBob(envelope), .unsupportedVersion(2))
        envelope.version = 0
        XCTAssertThrowsCryptoError(try openAsBob(envelope), .unsupportedVersion(0))
    }

    // MARK: Impersonation and misdelivery

    func testForgedSenderIsRejected() throws {
        // Mallory writes a message claiming to be alice; bob checks it against alice's pinned key.
        let forged = try EnvelopeCrypto.seal(
            Data("send money".utf8), messageID: messageID, sender: "alice", senderIdentity: mallory,
            recipient: "bob", recipientKey: bob.publicIdentity)
        XCTAssertThrowsCryptoError(try openAsBob(forged), .badSignature)
    }

    func testReSignedStolenEnvelopeIsRejected() throws {
        // Mallory takes alice's envelope and replaces the signature with her own.
        let stolen = try resigned(try seal("hello bob"), by: mallory)
        XCTAssertThrowsCryptoError(try openAsBob(stolen), .badSignature)
    }

    func testEnvelopeForSomeoneElseIsRejected() throws {
        let envelope = try seal("hello bob")
        XCTAssertThrowsCryptoError(
            try EnvelopeCrypto.open(
                envelope, recipient: "mallory", recipientIdentity: mallory, senderKey: alice.publicIdentity),
            .wrongRecipient)
    }

    func testRecipientNameIsComparedByteForByte() throws {
        let envelope = try EnvelopeCrypto.seal(
            Data("hi".utf8), messageID: messageID, sender: "alice", senderIdentity: alice,
            recipient: "Zoe\u{308}", recipientKey: bob.publicIdentity)
        XCTAssertThrowsCryptoError(
            try EnvelopeCrypto.open(envelope, recipient: "Zo\u{EB}", recipientIdentity: bob, senderKey: alice.publicIdentity),
            .wrongRecipient)
    }

    func testWrongRecipientIdentityCannotDecrypt() throws {
        // Addressed to bob by name, but opened with mallory's keys.
        let envelope = try seal("hello bob")
        XCTAssertThrowsCryptoError(
            try EnvelopeCrypto.open(
                envelope, recipient: "bob", recipientIdentity: mallory, senderKey: alice.publicIdentity),
            .cannotDecrypt)
    }

    // MARK: Encryption holds even when the signature does

    func testHeaderIsBoundToCiphertextEvenWhenReSigned() throws {
        let original = try seal("hello bob")
        var alteredSender = original
        alteredSender.sender = "mallory"
        var alteredID = original
        alteredID.messageID = UUID()
        for envelope in [alteredSender, alteredID] {
            XCTAssertThrowsCryptoError(try openAsBob(try resigned(envelope, by: alice)), .cannotDecrypt)
        }
    }

    func testCorruptedCiphertextFailsDecryptionEvenWhenReSigned() throws {
        var ciphertext = try seal("hello bob")
        ciphertext.ciphertext = ciphertext.ciphertext.flippingBit(at: 0)
        XCTAssertThrowsCryptoError(try openAsBob(try resigned(ciphertext, by: alice)), .cannotDecrypt)

        var encapsulatedKey = try seal("hello bob")
        encapsulatedKey.encapsulatedKey = encapsulatedKey.encapsulatedKey.flippingBit(at: 5)
        XCTAssertThrowsCryptoError(try openAsBob(try resigned(encapsulatedKey, by: alice)), .cannotDecrypt)

        var truncatedKey = try seal("hello bob")
        truncatedKey.encapsulatedKey = Data(count: 3)
        XCTAssertThrowsCryptoError(try openAsBob(try resigned(truncatedKey, by: alice)), .cannotDecrypt)
    }
}
