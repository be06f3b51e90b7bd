import Foundation

/// An account as the server stores it. Holds nothing secret in the clear: the verifier is a public key (or, for
/// accounts made before login keys, a hash of a password-derived key), and the private keys are sealed under a key
/// only the client can derive.
public struct UserRecord: Sendable, Hashable {
    public var username: String
    public var verifier: PasswordVerifier
    /// The client's scrypt parameters for this account; they travel with it so any client can
    /// re-derive the same keys.
    public var kdfLog2N: Int
    public var kdfR: Int
    public var kdfP: Int
    /// Ed25519 public key (32 bytes).
    public var signingKey: Data
    /// X25519 public key (32 bytes).
    public var agreementKey: Data
    /// The private keys sealed on the client (opaque ciphertext).
    public var keyBackup: Data
    public var createdAt: Date

    public init(
        username: String,
        verifier: PasswordVerifier,
        kdfLog2N: Int,
        kdfR: Int,
        kdfP: Int,
        signingKey: Data,
        agreementKey: Data,
        keyBackup: Data,
        createdAt: Date = Date()
    ) {
        self.username = username
        self.verifier = verifier
        self.kdfLog2N = kdfLog2N
        self.kdfR = kdfR
        self.kdfP = kdfP
        self.signingKey = signingKey
        self.agreementKey = agreementKey
        self.keyBackup = keyBackup
        self.createdAt = createdAt
    }
}
