import Foundation
import Crypto

/// What the client derives from password + username. The password never leaves the client: the node keeps the
/// login key's public half and sees signatures by it; `vaultKey` cannot be computed from either.
// @unchecked: swift-crypto does not mark its key types Sendable, but they are copy-on-write values over
// SecureBytes that are never mutated after init, and every stored property here is a `let`.
public struct AccountSecrets: @unchecked Sendable {
    /// Signs every proof of the password (sign-up, sign-in, password change).
    public let loginKey: LoginKey
    /// 32 bytes: what clients before login keys sent, and nodes stored a slow hash of. Sent only once, to upgrade
    /// such an account to a login key.
    public let authKey: Data
    /// 256 bits; encrypts the identity backup and never leaves the client.
    public let vaultKey: SymmetricKey

    static let keyByteCount = 32

    /// scrypt(password as NFC UTF-8, salt "fastchat/v1/account/" + exact username UTF-8) gives a 32-byte master
    /// key, which HKDF-SHA256-Expand splits into the login key's seed, the vault key and the legacy auth key.
    ///
    /// The password is NFC-normalised so the same typed password works from keyboards that compose accents
    /// differently; the username is used byte for byte, so callers must pass it exactly as registered.
    public static func derive(password: String, username: String, parameters: KDFParameters) throws -> AccountSecrets {
        let passwordBytes = Data(password.precomposedStringWithCanonicalMapping.utf8)
        let salt = DomainLabel.accountSaltPrefix + Data(username.utf8)
        let master = try Scrypt.derive(
            password: passwordBytes, salt: salt, parameters: parameters, outputByteCount: keyByteCount)
        // scrypt output is already uniformly random, so HKDF-Extract adds nothing; Expand separates the uses.
        let authKey = HKDF<SHA256>.expand(
            pseudoRandomKey: master, info: DomainLabel.authKey, outputByteCount: keyByteCount)
        let vaultKey = HKDF<SHA256>.expand(
            pseudoRandomKey: master, info: DomainLabel.vaultKey, outputByteCount: keyByteCount)
        let loginKey = try LoginKey(master: master, label: DomainLabel.loginKey)
        return AccountSecrets(loginKey: loginKey, authKey: authKey.data, vaultKey: vaultKey)
    }
}
