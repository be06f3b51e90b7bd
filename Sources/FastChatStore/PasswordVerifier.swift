import Foundation

/// What the store keeps to check an account's or a group's password. Never anything a client could send back.
public enum PasswordVerifier: Sendable, Hashable {
    /// The public half of the Ed25519 login key (32 bytes): proofs are signatures over a fresh challenge.
    case loginKey(Data)
    /// A self-describing slow hash of the auth key, as nodes before login keys stored it. Replaced by a login key
    /// at the first proof after the upgrade.
    case legacyHash(String)

    /// The stored columns: `login_key` and `auth_hash` (users) or `password_hash` (groups); exactly one is set.
    init(loginKey: Data?, legacyHash: String?) {
        if let loginKey {
            self = .loginKey(loginKey)
        } else {
            // A row with neither is refused by the schema's CHECK; an empty hash would fail to parse, not match.
            self = .legacyHash(legacyHash ?? "")
        }
    }

    var loginKeyColumn: Data? {
        if case .loginKey(let key) = self { return key }
        return nil
    }

    var legacyHashColumn: String? {
        if case .legacyHash(let hash) = self { return hash }
        return nil
    }
}
