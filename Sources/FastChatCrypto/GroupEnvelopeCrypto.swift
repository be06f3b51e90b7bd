import Foundation
import Crypto

/// Seals and opens group messages: the plaintext is encrypted once (ChaCha20-Poly1305) under a fresh random 256-bit
/// content key, that key is HPKE-sealed (Curve25519_SHA256_ChachaPoly, base mode) to each current member, and the
/// sender signs header and ciphertext with Ed25519.
public enum GroupEnvelopeCrypto {
    public static let currentVersion: UInt32 = 1

    static var ciphersuite: HPKE.Ciphersuite { .Curve25519_SHA256_ChachaPoly }
    static let contentKeyByteCount = 32

    /// `recipients` are the members to wrap the key for; the caller decides whether the sender is among them, and an
    /// empty list (a group of one) is allowed. Names must be distinct byte for byte (`invalidParameters`).
    public static func seal(_ plaintext: Data, messageID: UUID, sender: String, senderIdentity: Identity, group: String,
                            recipients: [(username: String, key: PublicIdentity)]) throws -> SealedGroupEnvelope {
        // Bytes, matching how `open` finds a member's key; canonically equivalent spellings are different members.
        var seen = Set<Data>()
        for recipient in recipients where !seen.insert(Data(recipient.username.utf8)).inserted {
            throw CryptoError.invalidParameters("recipient \"\(recipient.username)\" is listed more than once")
        }

        var envelope = SealedGroupEnvelope(
            version: currentVersion, messageID: messageID, sender: sender, group: group,
            ciphertext: Data(), signature: Data(), keys: [])
        let header = envelope.headerBytes
        let contentKey = SymmetricKey(size: .bits256)
        envelope.ciphertext = try ChaChaPoly.seal(plaintext, using: contentKey, authenticating: header).combined
        let digest = envelope.ciphertextDigest

        envelope.keys = try recipients.map { recipient in
            var context = try HPKE.Sender(
                recipientKey: recipient.key.encryptionKey, ciphersuite: ciphersuite, info: DomainLabel.groupKeyInfo)
            let wrapped = try context.seal(
                contentKey.data,
                authenticating: SealedGroupEnvelope.wrappedKeyBytes(
                    headerBytes: header, ciphertextDigest: digest, recipient: recipient.username))
            return WrappedKey(
                recipient: recipient.username, encapsulatedKey: context.encapsulatedKey, ciphertext: wrapped)
        }
        envelope.signature = try senderIdentity.sign(
            SealedGroupEnvelope.signedBytes(headerBytes: header, ciphertextDigest: digest))
        return envelope
    }

    /// Checks, in order: the version is known (`unsupportedVersion`), the signature verifies under `senderKey`
    /// (`badSignature`), the envelope holds a wrapped key for `recipient` (`notARecipient`), that key unwraps and the
    /// content decrypts (`cannotDecrypt`). Nothing is decrypted until the sender is authenticated.
    ///
    /// Keys other than `recipient`'s are ignored and may have been stripped. The caller must look up `senderKey` for
    /// `envelope.sender` (the pinned key) and must check that `envelope.group` is the group it expects; the signature
    /// proves the sender wrote this header, not who else received the key.
    public static func open(_ envelope: SealedGroupEnvelope, recipient: String, recipientIdentity: Identity,
                            senderKey: PublicIdentity) throws -> Data {
        guard envelope.version == currentVersion else {
            throw CryptoError.unsupportedVersion(envelope.version)
        }
        let header = envelope.headerBytes
        let digest = envelope.ciphertextDigest
        guard senderKey.verifyingKey.isValidSignature(
            envelope.signature,
            for: SealedGroupEnvelope.signedBytes(headerBytes: header, ciphertextDigest: digest))
        else {
            throw CryptoError.badSignature
        }
        // Byte comparison, matching what the wrapped key's associated data binds.
        guard let wrapped = envelope.keys.first(where: { $0.recipient.utf8.elementsEqual(recipient.utf8) }) else {
            throw CryptoError.notARecipient
        }
        do {
            var context = try HPKE.Recipient(
                privateKey: recipientIdentity.agreementKey, ciphersuite: ciphersuite,
                info: DomainLabel.groupKeyInfo, encapsulatedKey: wrapped.encapsulatedKey)
            let keyBytes = try context.open(
                wrapped.ciphertext,
                authenticating: SealedGroupEnvelope.wrappedKeyBytes(
                    headerBytes: header, ciphertextDigest: digest, recipient: recipient))
            guard keyBytes.count == contentKeyByteCount else { throw CryptoError.cannotDecrypt }
            let box = try ChaChaPoly.SealedBox(combined: envelope.ciphertext)
            return try ChaChaPoly.open(box, using: SymmetricKey(data: keyBytes), authenticating: header)
        } catch {
            throw CryptoError.cannotDecrypt
        }
    }
}
