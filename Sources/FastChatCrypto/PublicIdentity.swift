import Foundation
import Crypto

/// Public half of an identity: raw 32-byte Ed25519 and X25519 keys, as published on the server.
public struct PublicIdentity: Sendable, Hashable, Codable {
    /// Ed25519 raw public key.
    public let signingKey: Data
    /// X25519 raw public key.
    public let agreementKey: Data

    /// Throws `CryptoError.invalidKey` unless both are well-formed raw public keys.
    public init(signingKey: Data, agreementKey: Data) throws {
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: signingKey)) != nil,
              (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: agreementKey)) != nil
        else {
            throw CryptoError.invalidKey
        }
        self.signingKey = signingKey
        self.agreementKey = agreementKey
    }

    private enum CodingKeys: String, CodingKey {
        case signingKey, agreementKey
    }

    // Decoding goes through the validating initialiser so a malformed key cannot slip in via JSON.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            signingKey: container.decode(Data.self, forKey: .signingKey),
            agreementKey: container.decode(Data.self, forKey: .agreementKey))
    }

    var verifyingKey: Curve25519.Signing.PublicKey {
        // Validated in init, so this cannot fail.
        try! Curve25519.Signing.PublicKey(rawRepresentation: signingKey)
    }

    var encryptionKey: Curve25519.KeyAgreement.PublicKey {
        try! Curve25519.KeyAgreement.PublicKey(rawRepresentation: agreementKey)
    }
}
