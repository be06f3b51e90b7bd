import Foundation
import Crypto

/// One member's copy of a group message's content key: HPKE-sealed to that member's X25519 key.
public struct WrappedKey: Sendable, Hashable {
    public var recipient: String
    public var encapsulatedKey: Data
    public var ciphertext: Data

    public init(recipient: String, encapsulatedKey: Data, ciphertext: Data) {
        self.recipient = recipient
        self.encapsulatedKey = encapsulatedKey
        self.ciphertext = ciphertext
    }
}

/// A group message as the sender hands it to the server: one ciphertext plus the content key wrapped for each member.
/// The signature covers the header and the ciphertext but not `keys`, so the server may store in each member's mailbox
/// only that member's own `WrappedKey`; each wrapped key is instead bound by its HPKE associated data to this header,
/// this ciphertext and its recipient name.
public struct SealedGroupEnvelope: Sendable, Hashable {
    public var version: UInt32
    public var messageID: UUID
    public var sender: String
    public var group: String
    public var ciphertext: Data
    public var signature: Data
    public var keys: [WrappedKey]

    public init(version: UInt32, messageID: UUID, sender: String, group: String,
                ciphertext: Data, signature: Data, keys: [WrappedKey]) {
        self.version = version
        self.messageID = messageID
        self.sender = sender
        self.group = group
        self.ciphertext = ciphertext
        self.signature = signature
        self.keys = keys
    }

    /// ChaChaPoly associated data of the content: label, version, message id, sender, group.
    var headerBytes: Data {
        var encoder = CanonicalEncoder()
        encoder.append(DomainLabel.groupHeader)
        encoder.append(version)
        encoder.append(messageID)
        encoder.append(sender)
        encoder.append(group)
        return encoder.bytes
    }

    /// SHA-256 of the ciphertext; stands in for it in the signature and in every wrapped key's associated data,
    /// so a group of 100 hashes the body once rather than 101 times.
    var ciphertextDigest: Data {
        Data(SHA256.hash(data: ciphertext))
    }

    /// What the sender signs: a distinct label, then the header and the ciphertext digest.
    static func signedBytes(headerBytes: Data, ciphertextDigest: Data) -> Data {
        var encoder = CanonicalEncoder()
        encoder.append(DomainLabel.groupSignature)
        encoder.append(headerBytes)
        encoder.append(ciphertextDigest)
        return encoder.bytes
    }

    /// HPKE associated data of one wrapped key: header, ciphertext digest and recipient name, so the key cannot be
    /// moved to another message or relabelled for another member.
    static func wrappedKeyBytes(headerBytes: Data, ciphertextDigest: Data, recipient: String) -> Data {
        var encoder = CanonicalEncoder()
        encoder.append(headerBytes)
        encoder.append(ciphertextDigest)
        encoder.append(recipient)
        return encoder.bytes
    }
}
