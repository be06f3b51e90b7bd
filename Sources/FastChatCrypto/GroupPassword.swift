import Crypto
import Foundation

/// A group password is handled like an account password: the client derives an auth key from it and the server
/// keeps only an `AuthKeyHash` of that key, so the server never sees the password.
public enum GroupPassword {
    private static let saltPrefix = Data("fastchat/v1/group/".utf8)
    private static let authLabel = Data("fastchat/v1/group-auth".utf8)

    /// scrypt(password as NFC UTF-8, salt "fastchat/v1/group/" + exact group name), then HKDF-SHA256-Expand.
    public static func authKey(password: String, group: String, parameters: KDFParameters) throws -> Data {
        let master = try Scrypt.derive(
            password: Data(password.precomposedStringWithCanonicalMapping.utf8),
            salt: saltPrefix + Data(group.utf8),
            parameters: parameters,
            outputByteCount: 32
        )
        return HKDF<SHA256>.expand(pseudoRandomKey: master, info: authLabel, outputByteCount: 32).data
    }
}
