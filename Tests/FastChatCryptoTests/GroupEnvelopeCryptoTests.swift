import Foundation
import XCTest
import FastChatCrypto

final class GroupEnvelopeCryptoTests: XCTestCase {
    private let alice = Identity.generate()
    private let bob = Identity.generate()
    private let carol = Identity.generate()
    private let mallory = Identity.generate()
    private let messageID = UUID()

    private var members: [(username: String, identity: Identity)] {
        [("alice", alice), ("bob", bob), ("carol", carol)]
    }

    private func seal(_ text: String, messageID: UUID? = nil, signer: Identity? = nil,
                      to recipients: [(username: String, identity: Identity)]? = nil) throws -> SealedGroupEnvelope {
        try GroupEnvelopeCrypto.seal(
            Data(text.utf8), messageID: messageID ?? self.messageID, sender: "alice", senderIdentity: signer ?? alice,
            group: "hikers",
            recipients: (recipients ?? members).map { (username: $0.username, key: $0.identity.publicIdentity) })
    }

    private func open(_ envelope: SealedGroupEnvelope, as username: String = "bob", identity: Identity? = nil,
                      senderKey: PublicIdentity? = nil) throws -> Data {
        try GroupEnvelopeCrypto.open(
            envelope, recipient: username, recipientIdentity: identity ?? bob,
            senderKey: senderKey ?? alice.publicIdentity)
    }

    /// Simulates a sender that signs whatever it is given, to prove the associated data binds the header on its own.
    private func resigned(_ envelope: SealedGroupEnvelope, by identity: Identity) throws -> SealedGroupEnvelope {
        var copy = envelope
        copy.signature = try identity.sign(canonicalGroupSignedBytes(copy))
        return copy
    }

    /// What the server stores in one member's mailbox: the envelope with only that member's wrapped key.
    private func stripped(_ envelope: SealedGroupEnvelope, keeping username: String) -> SealedGroupEnvelope {
        var copy = envelope
        copy.keys = envelope.keys.filter { $0.recipient == username }
        return copy
    }

    // MARK: Round trips

    func testEveryMemberOpensTheSamePlaintext() throws {
        let envelope = try seal("hello hikers")
        XCTAssertEqual(envelope.version, 1)
        XCTAssertEqual(envelope.messageID, messageID)
        XCTAssertEqual(envelope.sender, "alice")
        XCTAssertEqual(envelope.group, "hikers")
        XCTAssertEqual(envelope.signature.count, 64)
        XCTAssertEqual(envelope.ciphertext.count, 12 + "hello hikers".utf8.count + 16)
        XCTAssertNil(envelope.ciphertext.range(of: Data("hello hikers".utf8)))
        XCTAssertEqual(envelope.keys.map(\.recipient), ["alice", "bob", "carol"])
        for key in envelope.keys {
            XCTAssertEqual(key.encapsulatedKey.count, 32)
            XCTAssertEqual(key.ciphertext.count, 32 + 16)
        }
        for member in members {
            XCTAssertEqual(try open(envelope, as: member.username, identity: member.identity), Data("hello hikers".utf8))
        }
        XCTAssertEqual(Set(envelope.keys.map(\.encapsulatedKey)).count, 3)
    }

    func testHundredMembersEachOpen() throws {
        let crowd = (0..<100).map { (username: "member\($0)", identity: Identity.generate()) }
        let envelope = try seal("hello crowd", to: crowd)
        XCTAssertEqual(envelope.keys.count, 100)
        for member in crowd {
            XCTAssertEqual(
                try open(envelope, as: member.username, identity: member.identity), Data("hello crowd".utf8),
                member.username)
        }
    }

    func testSenderNeedNotBeARecipient() throws {
        let envelope = try seal("hi", to: [("bob", bob)])
        XCTAssertEqual(try open(envelope), Data("hi".utf8))
        XCTAssertThrowsCryptoError(try open(envelope, as: "alice", identity: alice), .notARecipient)
    }

    func testGroupOfOneHasNoKeys() throws {
        let envelope = try seal("note to self", to: [])
        XCTAssertTrue(envelope.keys.isEmpty)
        XCTAssertThrowsCryptoError(try open(envelope, as: "alice", identity: alice), .notARecipient)
    }

    func testEmptyLongAndUnicodeMessagesRoundTrip() throws {
        let long = String((0..<10_240).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        for text in ["", long, "Hi 👋🏽👨‍👩‍👧 — 你好 — مرحبا — e\u{301}"] {
            XCTAssertEqual(try open(try seal(text)), Data(text.utf8))
        }
    }

    func testUnicodeNamesRoundTripAndAreComparedByteForByte() throws {
        let envelope = try GroupEnvelopeCrypto.seal(
            Data("hi".utf8), messageID: messageID, sender: "Zoë", senderIdentity: alice, group: "登山",
            recipients: [(username: "Zoe\u{308}", key: bob.publicIdentity)])
        XCTAssertEqual(
            try GroupEnvelopeCrypto.open(
                envelope, recipient: "Zoe\u{308}", recipientIdentity: bob, senderKey: alice.publicIdentity),
            Data("hi".utf8))
        XCTAssertThrowsCryptoError(
            try GroupEnvelopeCrypto.open(
                envelope, recipient: "Zo\u{EB}", recipientIdentity: bob, senderKey: alice.publicIdentity),
            .notARecipient)
    }

    func testSealingTwiceGivesDifferentCiphertexts() throws {
        let first = try seal("same")
        let second = try seal("same")
        XCTAssertNotEqual(first.ciphertext, second.ciphertext)
        XCTAssertNotEqual(first.keys, second.keys)
    }

    func testReferenceSHA256MatchesTheStandardVectors() {
        XCTAssertEqual(
            referenceSHA256(Data()).hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(
            referenceSHA256(Data("abc".utf8)).hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            referenceSHA256(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hex,
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testSignedBytesMatchTheSpecifiedFormat() throws {
        let envelope = try seal("hello hikers")
        XCTAssertEqual(try open(try resigned(envelope, by: alice)), Data("hello hikers".utf8))
    }

    // MARK: What the server does with the keys

    func testStrippingOtherMembersKeysStillOpensForTheOneKept() throws {
        let envelope = try seal("hello hikers")
        for member in members {
            let copy = stripped(envelope, keeping: member.username)
            XCTAssertEqual(copy.keys.count, 1)
            XCTAssertEqual(try open(copy, as: member.username, identity: member.identity), Data("hello hikers".utf8))
        }
        XCTAssertThrowsCryptoError(try open(stripped(envelope, keeping: "carol")), .notARecipient)
    }

    func testReorderedKeysStillOpen() throws {
        var envelope = try seal("hello hikers")
        envelope.keys.reverse()
        XCTAssertEqual(try open(envelope), Data("hello hikers".utf8))
    }

    // MARK: Removed members and misdelivery

    func testRemovedMemberIsNotARecipient() throws {
        // Mallory was removed before this message, so the sender's member list no longer names her.
        let envelope = try seal("after the removal")
        XCTAssertThrowsCryptoError(try open(envelope, as: "mallory", identity: mallory), .notARecipient)
    }

    func testAnotherMembersKeyRenamedForTheRemovedMemberCannotDecrypt() throws {
        var envelope = try seal("after the removal")
        var borrowed = try XCTUnwrap(envelope.keys.first { $0.recipient == "bob" })
        borrowed.recipient = "mallory"
        envelope.keys = [borrowed]
        XCTAssertThrowsCryptoError(try open(envelope, as: "mallory", identity: mallory), .cannotDecrypt)
        // Nor can bob himself use his key once it is relabelled: the name is bound into it.
        XCTAssertThrowsCryptoError(try open(envelope, as: "mallory", identity: bob), .cannotDecrypt)
    }

    func testKeySwappedBetweenMembersCannotDecrypt() throws {
        // Carol's key relabelled as bob's: the HPKE associated data names carol, and it is sealed to carol's key.
        var envelope = try seal("hello hikers")
        var carolsKey = try XCTUnwrap(envelope.keys.first { $0.recipient == "carol" })
        carolsKey.recipient = "bob"
        envelope.keys = [carolsKey]
        XCTAssertThrowsCryptoError(try open(envelope), .cannotDecrypt)
        XCTAssertThrowsCryptoError(try open(envelope, as: "bob", identity: carol), .cannotDecrypt)
    }

    func testWrappedKeyMovedFromAnotherMessageCannotDecrypt() throws {
        let earlier = try seal("earlier", messageID: UUID())
        var later = try seal("later")
        let bobsEarlierKey = try XCTUnwrap(earlier.keys.first { $0.recipient == "bob" })
        later.keys = later.keys.map { $0.recipient == "bob" ? bobsEarlierKey : $0 }
        XCTAssertThrowsCryptoError(try open(later), .cannotDecrypt)
        XCTAssertEqual(try open(later, as: "carol", identity: carol), Data("later".utf8))
    }

    func testWrappedKeyMovedFromAMessageWithTheSameHeaderCannotDecrypt() throws {
        // Same id, sender and group: only the ciphertext digest in the associated data tells the two apart.
        let first = try seal("first")
        var second = try seal("second")
        second.keys = first.keys
        XCTAssertThrowsCryptoError(try open(second), .cannotDecrypt)
    }

    func testCorruptedWrappedKeyCannotDecrypt() throws {
        let envelope = try seal("hello hikers")
        let original = try XCTUnwrap(envelope.keys.first { $0.recipient == "bob" })
        var corruptions = [WrappedKey]()
        for mutate: (inout WrappedKey) -> Void in [
            { $0.ciphertext = $0.ciphertext.flippingBit(at: 0) },
            { $0.encapsulatedKey = $0.encapsulatedKey.flippingBit(at: 5) },
            { $0.encapsulatedKey = Data(count: 3) },
            { $0.ciphertext = Data() },
        ] {
            var copy = original
            mutate(&copy)
            corruptions.append(copy)
        }
        for corrupted in corruptions {
            var copy = envelope
            copy.keys = [corrupted]
            XCTAssertThrowsCryptoError(try open(copy), .cannotDecrypt)
        }
    }

    // MARK: Tampering in transit (the signature catches it first)

    func testFlippedCiphertextByteIsRejected() throws {
        var envelope = try seal("hello hikers")
        envelope.ciphertext = envelope.ciphertext.flippingBit(at: 14)
        XCTAssertThrowsCryptoError(try open(envelope), .badSignature)
    }

    func testAlteredGroupIsRejected() throws {
        var envelope = try seal("hello hikers")
        envelope.group = "climbers"
        XCTAssertThrowsCryptoError(try open(envelope), .badSignature)
    }

    func testAlteredSenderIsRejected() throws {
        var envelope = try seal("hello hikers")
        envelope.sender = "mallory"
        XCTAssertThrowsCryptoError(try open(envelope), .badSignature)
    }

    func testAlteredMessageIDIsRejected() throws {
        var envelope = try seal("hello hikers")
        envelope.messageID = UUID()
        XCTAssertThrowsCryptoError(try open(envelope), .badSignature)
    }

    func testFlippedSignatureIsRejected() throws {
        var envelope = try seal("hello hikers")
        envelope.signature = envelope.signature.flippingBit(at: 10)
        XCTAssertThrowsCryptoError(try open(envelope), .badSignature)
        envelope.signature = Data()
        XCTAssertThrowsCryptoError(try open(envelope), .badSignature)
    }

    func testUnknownVersionIsRejected() throws {
        var envelope = try seal("hello hikers")
        envelope.version = 2
        XCTAssertThrowsCryptoError(try open(envelope), .unsupportedVersion(2))
        envelope.version = 0
        XCTAssertThrowsCryptoError(try open(envelope), .unsupportedVersion(0))
    }

    func testVersionIsCheckedBeforeSignatureAndSignatureBeforeMembership() throws {
        var envelope = try seal("hello hikers")
        envelope.signature = Data()
        envelope.version = 9
        XCTAssertThrowsCryptoError(try open(envelope, as: "mallory", identity: mallory), .unsupportedVersion(9))
        envelope.version = 1
        XCTAssertThrowsCryptoError(try open(envelope, as: "mallory", identity: mallory), .badSignature)
    }

    // MARK: Impersonation

    func testForgedSignerIsRejected() throws {
        // Mallory writes a group message claiming to be alice; members check it against alice's pinned key.
        let forged = try seal("send money", signer: mallory)
        XCTAssertThrowsCryptoError(try open(forged), .badSignature)
        XCTAssertEqual(try open(forged, senderKey: mallory.publicIdentity), Data("send money".utf8))
    }

    func testReSignedStolenEnvelopeIsRejected() throws {
        let stolen = try resigned(try seal("hello hikers"), by: mallory)
        XCTAssertThrowsCryptoError(try open(stolen), .badSignature)
    }

    // MARK: Encryption holds even when the signature does

    func testHeaderIsBoundToKeysAndCiphertextEvenWhenReSigned() throws {
        let original = try seal("hello hikers")
        var alteredGroup = original
        alteredGroup.group = "climbers"
        var alteredSender = original
        alteredSender.sender = "mallory"
        var alteredID = original
        alteredID.messageID = UUID()
        var alteredCiphertext = original
        alteredCiphertext.ciphertext = original.ciphertext.flippingBit(at: 20)
        for envelope in [alteredGroup, alteredSender, alteredID, alteredCiphertext] {
            XCTAssertThrowsCryptoError(try open(try resigned(envelope, by: alice)), .cannotDecrypt)
        }
    }

    // MARK: Sealing refuses

    func testDuplicateRecipientsAreRefused() throws {
        XCTAssertThrowsError(try seal("hi", to: [("bob", bob), ("carol", carol), ("bob", mallory)])) { error in
            guard case .invalidParameters(let reason) = error as? CryptoError else {
                return XCTFail("expected invalidParameters, got \(error)")
            }
            XCTAssertTrue(reason.contains("bob"), reason)
        }
    }
}
