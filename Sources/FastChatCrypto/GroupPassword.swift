import Crypto
import Foundation

/// A group password is handled like an account password: the client derives a group login key from it and the
/// node keeps only its public half, so the node never sees the password or anything it could replay.
public enum GroupPassword {
    private static let saltPrefix = Data("fastchat/v1/group/".utf8)
    private static let authLabel = Data("fastchat/v1/group-auth".utf8)

    /// What one group password derives to.
    public struct Secrets: Sendable {
        /// Signs joins, group creation and password changes (`LoginProof`).
        public let loginKey: LoginKey
        /// What clients before login keys sent and nodes stored a slow hash of; sent only once, to upgrade such a
        /// group to a login key.
        public let authKey: Data
    }

    /// scrypt(password as NFC UTF-8, salt "fastchat/v1/group/" + exact group name), then HKDF-SHA256-Expand under
    /// one label per use.
    public static func derive(password: String, group: String, parameters: KDFParameters) throws -> Secrets {
        let master = try Scrypt.derive(
            password: Data(password.precomposedStringWithCanonicalMapping.utf8),
            salt: saltPrefix + Data(group.utf8),
            parameters: parameters,
            outputByteCount: 32
        )
        return Secrets(
            loginKey: try LoginKey(master: master, label: DomainLabel.groupLoginKey),
            authKey: HKDF<SHA256>.expand(pseudoRandomKey: master, info: authLabel, outputByteCount: 32).data
        )
    }

    /// The legacy auth key alone (tests create groups the way nodes before login keys stored them).
    public static func authKey(password: String, group: String, parameters: KDFParameters) throws -> Data {
        try derive(password: password, group: group, parameters: parameters).authKey
    }
}
