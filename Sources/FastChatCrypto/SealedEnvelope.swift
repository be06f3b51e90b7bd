import Foundation

/// The routing header plus sealed body that the server stores and forwards; maps 1:1 to the protobuf `Envelope`.
/// The header travels in the clear but is bound to the ciphertext (HPKE associated data) and to the signature.
public struct SealedEnvelope: Sendable, Hashable {
    public var version: UInt32
    public var messageID: UUID
    public var sender: String
    public var recipient: String
    public var encapsulatedKey: Data
    public var ciphertext: Data
    public var signature: Data

    public init(version: UInt32, messageID: UUID, sender: String, recipient: String,
                encapsulatedKey: Data, ciphertext: Data, signature: Data) {
        self.version = version
        self.messageID = messageID
        self.sender = sender
        self.recipient = recipient
        self.encapsulatedKey = encapsulatedKey
        self.ciphertext = ciphertext
        self.signature = signature
    }

    /// HPKE associated data: label, version, message id, sender, recipient.
    var headerBytes: Data {
        var encoder = CanonicalEncoder()
        encoder.append(DomainLabel.envelopeHeader)
        encoder.append(version)
        encoder.append(messageID)
        encoder.append(sender)
        encoder.append(recipient)
        return encoder.bytes
    }

    /// What the sender signs: a distinct label, then the header, encapsulated key and ciphertext,
    /// so a signature can never be replayed as a signature over anything else.
    var signedBytes: Data {
        var encoder = CanonicalEncoder()
        encoder.append(DomainLabel.envelopeSignature)
        encoder.append(headerBytes)
        encoder.append(encapsulatedKey)
        encoder.append(ciphertext)
        return encoder.bytes
    }
}
