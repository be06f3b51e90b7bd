import Foundation
import Crypto

/// Private identity: an Ed25519 key for signing and an X25519 key for receiving messages.
// @unchecked: swift-crypto does not mark its key types Sendable, but they are copy-on-write values over
// SecureBytes that are never mutated after init, and every stored property here is a `let`.
public struct Identity: @unchecked Sendable {
    let signingKey: Curve25519.Signing.PrivateKey
    let agreementKey: Curve25519.KeyAgreement.PrivateKey

    static let keyByteCount = 32

    private init(signingKey: Curve25519.Signing.PrivateKey, agreementKey: Curve25519.KeyAgreement.PrivateKey) {
        self.signingKey = signingKey
        self.agreementKey = agreementKey
    }

    public static func generate() -> Identity {
        Identity(signingKey: .init(), agreementKey: .init())
    }

    public var publicIdentity: PublicIdentity {
        // Keys produced by swift-crypto are always valid, so the validating init cannot fail.
        try! PublicIdentity(
            signingKey: signingKey.publicKey.rawRepresentation,
            agreementKey: agreementKey.publicKey.rawRepresentation)
    }

    /// 64 bytes: signing private key || agreement private key, for the client keystore.
    public var rawRepresentation: Data {
        signingKey.rawRepresentation + agreementKey.rawRepresentation
    }

    /// Throws `CryptoError.invalidKey` unless given exactly 64 bytes.
    public init(rawRepresentation: Data) throws {
        guard rawRepresentation.count == 2 * Self.keyByteCount else { throw CryptoError.invalidKey }
        let signingBytes = rawRepresentation.prefix(Self.keyByteCount)
        let agreementBytes = rawRepresentation.suffix(Self.keyByteCount)
        do {
            self.init(
                signingKey: try .init(rawRepresentation: Data(signingBytes)),
                agreementKey: try .init(rawRepresentation: Data(agreementBytes)))
        } catch {
            throw CryptoError.invalidKey
        }
    }

    /// Ed25519 signature over `data`.
    public func sign(_ data: Data) throws -> Data {
        try signingKey.signature(for: data)
    }
}
