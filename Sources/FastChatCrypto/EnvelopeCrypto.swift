import Foundation
import Crypto

/// Seals and opens 1:1 messages: HPKE (Curve25519_SHA256_ChachaPoly, base mode) to the recipient's X25519 key,
/// signed by the sender's Ed25519 key.
public enum EnvelopeCrypto {
    public static let currentVersion: UInt32 = 1

    static var ciphersuite: HPKE.Ciphersuite { .Curve25519_SHA256_ChachaPoly }

    public static func seal(_ plaintext: Data, messageID: UUID, sender: String, senderIdentity: Identity,
                            recipient: String, recipientKey: PublicIdentity) throws -> SealedEnvelope {
        var envelope = SealedEnvelope(
            version: currentVersion, messageID: messageID, sender: sender, recipient: recipient,
            encapsulatedKey: Data(), ciphertext: Data(), signature: Data())
        var context = try HPKE.Sender(
            recipientKey: recipientKey.encryptionKey, ciphersuite: ciphersuite, info: DomainLabel.messageInfo)
        envelope.encapsulatedKey = context.encapsulatedKey
        envelope.ciphertext = try context.seal(plaintext, authenticating: envelope.headerBytes)
        envelope.signature = try senderIdentity.sign(envelope.signedBytes)
        return envelope
    }

    /// Checks, in order: the version is known (`unsupportedVersion`), the signature verifies under `senderKey`
    /// (`badSignature`), the envelope is addressed to `recipient` (`wrongRecipient`), and it decrypts
    /// (`cannotDecrypt`). Nothing is decrypted until the sender is authenticated.
    ///
    /// The caller must look up `senderKey` for `envelope.sender` (the pinned key); a valid signature
    /// proves only that the holder of `senderKey` wrote this header, including the sender name.
    public static func open(_ envelope: SealedEnvelope, recipient: String, recipientIdentity: Identity,
                            senderKey: PublicIdentity) throws -> Data {
        guard envelope.version == currentVersion else {
            throw CryptoError.unsupportedVersion(envelope.version)
        }
        guard senderKey.verifyingKey.isValidSignature(envelope.signature, for: envelope.signedBytes) else {
            throw CryptoError.badSignature
        }
        // Byte comparison, matching what the AAD binds; String == would also accept canonically equivalent forms.
        guard envelope.recipient.utf8.elementsEqual(recipient.utf8) else {
            throw CryptoError.wrongRecipient
        }
        do {
            var context = try HPKE.Recipient(
                privateKey: recipientIdentity.agreementKey, ciphersuite: ciphersuite,
                info: DomainLabel.messageInfo, encapsulatedKey: envelope.encapsulatedKey)
            return try context.open(envelope.ciphertext, authenticating: envelope.headerBytes)
        } catch {
            throw CryptoError.cannotDecrypt
        }
    }
}
