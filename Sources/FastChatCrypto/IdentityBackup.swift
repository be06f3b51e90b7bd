import Foundation
import Crypto

/// The server-held copy of an identity: version byte || ChaCha20-Poly1305 combined box (nonce || ciphertext || tag),
/// sealed under the vault key with AAD "fastchat/v1/key-backup".
extension Identity {
    static let backupVersion: UInt8 = 1

    public func sealedBackup(vaultKey: SymmetricKey) throws -> Data {
        let box = try ChaChaPoly.seal(rawRepresentation, using: vaultKey, authenticating: DomainLabel.keyBackup)
        return Data([Self.backupVersion]) + box.combined
    }

    /// Throws `CryptoError.cannotDecrypt` on a wrong vault key or any tampering, and
    /// `CryptoError.unsupportedVersion` for a backup written by a newer format.
    public init(sealedBackup: Data, vaultKey: SymmetricKey) throws {
        guard let version = sealedBackup.first else { throw CryptoError.cannotDecrypt }
        guard version == Self.backupVersion else { throw CryptoError.unsupportedVersion(UInt32(version)) }
        let raw: Data
        do {
            let box = try ChaChaPoly.SealedBox(combined: sealedBackup.dropFirst())
            raw = try ChaChaPoly.open(box, using: vaultKey, authenticating: DomainLabel.keyBackup)
        } catch {
            throw CryptoError.cannotDecrypt
        }
        try self.init(rawRepresentation: raw)
    }
}
