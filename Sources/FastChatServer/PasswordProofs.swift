import FastChatCrypto
import FastChatProtocol
import FastChatStore
import Foundation

/// Challenges and the checks of every password proof: a signature by a login key over a transcript of this
/// connection's current challenge (see `LoginProof`). Checking one costs an Ed25519 verification; only a legacy
/// verifier, once per account or group, costs the old scrypt hash.
extension ConnectionHandler {
    /// A fresh challenge for the next proof on this connection, replacing any earlier one.
    func issueChallenge() -> Data {
        let fresh = LoginProof.makeChallenge()
        challenge = fresh
        return fresh
    }

    /// The current challenge, forgotten as it is handed out: a proof gets one try, whatever its outcome.
    func takeChallenge() throws -> Data {
        guard let current = challenge else {
            throw ProtocolError(.badRequest, "Ask for a challenge (GetAuthParams, GetGroupAuthParams or GetChallenge) first.")
        }
        challenge = nil
        return current
    }

    /// Every password proof first takes a token for this connection's address and for `account` (a username, or
    /// a group as "#name"); over the limit it is refused with `RATE_LIMITED`. Guessing passwords against a login
    /// key is as cheap for the node as checking the right one, so the limit is what keeps guessing slow.
    func admitPasswordProof(for account: String, what: String) async throws {
        do {
            try await services.authLimiter.admit(address: peerHost, account: account, what: what)
        } catch {
            services.metrics.rateLimited.increment()
            throw error
        }
    }

    /// Whether `signature` is over the transcript naming `loginKey` and `challenge` on this connection, by
    /// `signer` (default: `loginKey` itself; a password change is signed by the current key too).
    func isValidProof(
        _ purpose: LoginProof.Purpose, subject: String, actor: String = "", loginKey: Data, signature: Data,
        challenge: Data, signedBy signer: Data? = nil
    ) -> Bool {
        let transcript = LoginProof.transcript(
            purpose, subject: subject, actor: actor, loginKey: loginKey, challenge: challenge,
            channelBinding: channelBinding)
        return LoginKey.verify(signature: signature, of: transcript, publicKey: signer ?? loginKey)
    }

    /// A public login key from the wire, or BAD_REQUEST.
    func checkedLoginKey(_ key: Data) throws -> Data {
        do { try LoginKey.validate(publicKey: key) } catch {
            throw ProtocolError(.badRequest, "The login key must be a 32-byte Ed25519 public key.")
        }
        return key
    }

    /// KDF parameters from the wire, or BAD_REQUEST.
    func checkedKDF(_ wire: WireKDFParams) throws -> KDFParameters {
        guard let log2N = Int(exactly: wire.log2N), let r = Int(exactly: wire.r), let p = Int(exactly: wire.p) else {
            throw ProtocolError(.badRequest, "The key-derivation parameters are out of range.")
        }
        let kdf = KDFParameters(log2N: log2N, r: r, p: p)
        do { try kdf.validate() } catch {
            throw ProtocolError(.badRequest, "The key-derivation parameters are out of range.")
        }
        return kdf
    }

    /// The proof against a stored verifier. With a login key, the signature must be by it. With a legacy hash, the
    /// request must carry the old auth key (checked against the hash, off the cooperative pool) and a new login key
    /// the signature is by; the caller then stores that key in place of the hash. Returns the key to store, if any.
    func checkProof(
        against verifier: PasswordVerifier,
        _ purpose: LoginProof.Purpose, subject: String, actor: String = "",
        signature: Data, legacyAuthKey: Data, upgradeKey: Data, challenge: Data
    ) async throws -> (valid: Bool, upgradeTo: Data?) {
        switch verifier {
        case .loginKey(let stored):
            let valid = isValidProof(
                purpose, subject: subject, actor: actor, loginKey: stored, signature: signature, challenge: challenge)
            return (valid, nil)
        case .legacyHash(let encoded):
            guard !legacyAuthKey.isEmpty else {
                throw ProtocolError(
                    .badRequest, "\(subject) was created before login keys: send the old auth key once with the new login key.")
            }
            let newKey = try checkedLoginKey(upgradeKey)
            guard isValidProof(
                purpose, subject: subject, actor: actor, loginKey: newKey, signature: signature, challenge: challenge)
            else { return (false, nil) }
            let hash = try AuthKeyHash(encoded: encoded)
            let valid = try await services.blockingPool.runIfActive { hash.verify(authKey: legacyAuthKey) }
            return (valid, valid ? newKey : nil)
        }
    }

    /// Stores `loginKey` in place of a legacy hash (`update`, conditional on the hash being unchanged). If the hash
    /// is gone, a concurrent first proof that stored the same key is as good; anything else means the password
    /// changed meanwhile, and `refusal` is thrown.
    func replaceLegacyHash(
        of account: String, with loginKey: Data,
        update: () async throws -> Bool, reread: () async throws -> PasswordVerifier?,
        otherwise refusal: ProtocolError
    ) async throws {
        if try await update() {
            logger.notice("Upgraded a legacy password hash to a login key", metadata: ["account": "\(account)"])
            return
        }
        guard try await reread() == .loginKey(loginKey) else { throw refusal }
    }

    /// Counts a wrong password; too many on one connection close it.
    func countFailedProof() {
        failedSignIns += 1
        if failedSignIns >= services.configuration.maxFailedSignIns {
            closeAfterThisFrame = true
        }
    }
}
