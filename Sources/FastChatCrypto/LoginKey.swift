import Crypto
import Foundation

/// The Ed25519 key a password becomes: its seed is HKDF of the scrypt master key under a label of its own, so it is
/// never the same bytes as the auth key older clients sent. The node keeps only `publicKey` and checks signatures
/// over a fresh challenge (`LoginProof`), which costs it microseconds and gives a recording nothing to replay.
// @unchecked: swift-crypto does not mark its key types Sendable, but the key is a copy-on-write value over
// SecureBytes that is never mutated after init.
public struct LoginKey: @unchecked Sendable {
    let privateKey: Curve25519.Signing.PrivateKey

    static let byteCount = 32

    /// Derives the key from the 32-byte scrypt master of a password, with `label` naming what it signs in to.
    init(master: SymmetricKey, label: Data) throws {
        let seed = HKDF<SHA256>.expand(pseudoRandomKey: master, info: label, outputByteCount: Self.byteCount)
        privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed.data)
    }

    /// 32 bytes: what the store keeps.
    public var publicKey: Data { privateKey.publicKey.rawRepresentation }

    /// Ed25519 over `transcript` (built by `LoginProof.transcript`).
    public func sign(_ transcript: Data) throws -> Data {
        try privateKey.signature(for: transcript)
    }

    /// Whether `signature` is `publicKey`'s over `transcript`; false for malformed keys or signatures.
    public static func verify(signature: Data, of transcript: Data, publicKey: Data) -> Bool {
        guard publicKey.count == byteCount,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return false }
        return key.isValidSignature(signature, for: transcript)
    }

    /// Throws `CryptoError.invalidKey` unless `publicKey` is a usable Ed25519 public key.
    public static func validate(publicKey: Data) throws {
        guard publicKey.count == byteCount, (try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)) != nil
        else { throw CryptoError.invalidKey }
    }
}
