import Foundation
import Crypto

/// Server side: a salted slow hash of the client's auth key. Self-describing
/// ("scrypt$<log2N>$<r>$<p>$<base64 salt>$<base64 hash>") so parameters can differ per account.
public struct AuthKeyHash: Sendable, Hashable {
    /// Canonical form; safe to store as-is.
    public let encoded: String

    public let parameters: KDFParameters
    private let salt: Data
    private let digest: Data

    /// Server default: 16 MiB per verification.
    public static let defaultParameters = KDFParameters(log2N: 14, r: 8, p: 1)

    static let algorithm = "scrypt"
    static let saltByteCount = 16
    static let hashByteCount = 32
    /// scrypt keys HMAC with the input, and HMAC zero-pads short keys, so "k" and "k\0" would hash alike;
    /// accepting only the exact length `AccountSecrets` produces removes that ambiguity.
    static let authKeyByteCount = 32
    static let acceptedSaltLengths = 16...64
    static let acceptedHashLengths = 16...64

    private init(parameters: KDFParameters, salt: Data, digest: Data) {
        self.parameters = parameters
        self.salt = salt
        self.digest = digest
        self.encoded = [
            Self.algorithm, String(parameters.log2N), String(parameters.r), String(parameters.p),
            salt.base64EncodedString(), digest.base64EncodedString(),
        ].joined(separator: "$")
    }

    /// Parses a stored hash; anything malformed or with out-of-range parameters is `CryptoError.invalidHash`.
    public init(encoded: String) throws {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 6, fields[0] == Self.algorithm,
              let log2N = Int(fields[1]), let r = Int(fields[2]), let p = Int(fields[3]),
              let salt = Data(base64Encoded: fields[4]), Self.acceptedSaltLengths.contains(salt.count),
              let digest = Data(base64Encoded: fields[5]), Self.acceptedHashLengths.contains(digest.count)
        else {
            throw CryptoError.invalidHash
        }
        let parameters = KDFParameters(log2N: log2N, r: r, p: p)
        guard (try? parameters.validate()) != nil else { throw CryptoError.invalidHash }
        self.init(parameters: parameters, salt: salt, digest: digest)
    }

    /// Hashes with a fresh 16-byte random salt, so equal auth keys never produce equal hashes.
    /// Throws `CryptoError.invalidKey` unless `authKey` is 32 bytes.
    public static func make(authKey: Data, parameters: KDFParameters = defaultParameters) throws -> AuthKeyHash {
        guard authKey.count == authKeyByteCount else { throw CryptoError.invalidKey }
        let salt = SymmetricKey(size: .init(bitCount: saltByteCount * 8)).data
        let digest = try Scrypt.derive(
            password: authKey, salt: salt, parameters: parameters, outputByteCount: hashByteCount)
        return AuthKeyHash(parameters: parameters, salt: salt, digest: digest.data)
    }

    /// False for a wrong key, including any key that is not 32 bytes.
    public func verify(authKey: Data) -> Bool {
        guard authKey.count == Self.authKeyByteCount, let candidate = try? Scrypt.derive(
            password: authKey, salt: salt, parameters: parameters, outputByteCount: digest.count)
        else { return false }
        return ConstantTime.equals(candidate.data, digest)
    }

    // Identity is the canonical string; the decoded fields are derived from it.
    public static func == (lhs: AuthKeyHash, rhs: AuthKeyHash) -> Bool { lhs.encoded == rhs.encoded }
    public func hash(into hasher: inout Hasher) { hasher.combine(encoded) }
}
