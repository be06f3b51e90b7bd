import FastChatCrypto
import FastChatProtocol
import Foundation

/// Proofs of a password: signatures by a login key over a challenge the node issued on this very connection.
extension ChatClient {
    /// A challenge for a proof that needs no AuthParams (sign-up, group creation, password changes).
    func freshChallenge() async throws -> Data {
        guard case .challenge(let reply) = try await request(.getChallenge(.init())) else {
            throw ProtocolError(.internal, "The server answered the challenge request with something unexpected.")
        }
        return reply.challenge
    }

    /// An account's KDF parameters and a challenge for signing in to it.
    func authParams(for username: String) async throws -> Fastchat_V1_AuthParams {
        guard case .authParams(let params) = try await request(.getAuthParams(.with { $0.username = username })) else {
            throw ProtocolError(.internal, "The server answered the sign-in with something unexpected.")
        }
        return params
    }

    /// `signer`'s signature over the transcript of `challenge` on the current connection, naming `loginKey`
    /// (default: the signer's own public key).
    func sign(
        _ purpose: LoginProof.Purpose, subject: String, actor: String = "", by signer: LoginKey,
        naming loginKey: Data? = nil, challenge: Data
    ) async throws -> Data {
        guard let connection else {
            throw ProtocolError(.unavailable, "The connection to the server was closed.")
        }
        let transcript = LoginProof.transcript(
            purpose, subject: subject, actor: actor, loginKey: loginKey ?? signer.publicKey, challenge: challenge,
            channelBinding: Data(await connection.channelBinding))
        return try signer.sign(transcript)
    }

    /// Changes the signed-in user's password: a new login key and vault key from `newPassword` (with this client's
    /// KDF parameters), the identity's backup sealed again under the new vault key, sent in one request signed by
    /// the current and the new login key. The identity keys stay, so every message keeps opening.
    public func changePassword(to newPassword: String) async throws {
        let account = try signedIn()
        let secrets = try AccountSecrets.derive(
            password: newPassword, username: account.username, parameters: options.kdf)
        let challenge = try await freshChallenge()
        let newKey = secrets.loginKey.publicKey
        var request = Fastchat_V1_ChangePassword()
        request.loginKey = newKey
        request.kdf = WireKDFParams(options.kdf)
        request.keyBackup = try account.identity.sealedBackup(vaultKey: secrets.vaultKey)
        request.signature = try await sign(
            .changePassword, subject: account.username, by: secrets.loginKey, challenge: challenge)
        request.oldSignature = try await sign(
            .changePassword, subject: account.username, by: account.loginKey, naming: newKey, challenge: challenge)
        _ = try await self.request(.changePassword(request))
        self.account?.loginKey = secrets.loginKey
    }
}
