import FastChatCrypto
import FastChatProtocol
import FastChatStore
import Foundation

extension ConnectionHandler {
    /// Replaces the signed-in user's login key, KDF parameters and key backup in one store write. The request must
    /// come from the session and be signed by both the current login key (so a session left open is not enough)
    /// and the new one (so nobody installs a key they do not hold). Identity keys stay, so every message keeps
    /// opening; only the backup is sealed again, under the new vault key.
    ///
    /// A user has at most one session in the cluster, this one, so there is no other session to end; a later
    /// sign-in anywhere needs the new password.
    func changePassword(_ request: Fastchat_V1_ChangePassword, requestID: UInt64) async throws {
        let challenge = try takeChallenge()
        let session = try signedInUser()
        let newKey = try checkedLoginKey(request.loginKey)
        let kdf = try checkedKDF(request.kdf)
        guard !request.keyBackup.isEmpty, request.keyBackup.count <= Self.maxKeyBackupBytes else {
            throw ProtocolError(.badRequest, "The key backup is missing or too large.")
        }
        try await admitPasswordProof(for: session.username, what: "password change")
        let user = try await storedUser(session.username)
        guard case .loginKey(let currentKey) = user.verifier else {
            // Signing in replaced the legacy hash, so only a race with the upgrade could leave it here.
            throw ProtocolError(.unavailable, "The account's sign-in is being upgraded; try again.")
        }
        guard isValidProof(
            .changePassword, subject: session.username, loginKey: newKey, signature: request.oldSignature,
            challenge: challenge, signedBy: currentKey)
        else {
            countFailedProof()
            throw ProtocolError(.incorrectPassword, "Incorrect current password for \(session.username).")
        }
        guard isValidProof(
            .changePassword, subject: session.username, loginKey: newKey, signature: request.signature,
            challenge: challenge)
        else {
            throw ProtocolError(.badRequest, "The password change is not signed by the new login key.")
        }
        guard try await services.store.changePassword(
            username: session.username, loginKey: newKey, kdfLog2N: kdf.log2N, kdfR: kdf.r, kdfP: kdf.p,
            keyBackup: request.keyBackup)
        else {
            throw ProtocolError(.noSuchUser, "There is no user named \(session.username).")
        }
        logger.notice("Changed the password")
        outbox.reply(to: requestID, .ok(.init()))
    }
}
