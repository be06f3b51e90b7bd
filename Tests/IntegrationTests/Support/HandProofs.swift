import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation

/// Password proofs made by hand on a bare `FrameConnection`, for tests that then send what no client would.
extension FrameConnection {
    /// The challenge in the reply to `body` (GetChallenge, GetAuthParams or GetGroupAuthParams).
    func challenge(_ body: Frame.OneOf_Body = .getChallenge(.init())) async throws -> Data {
        switch try await request(body) {
        case .challenge(let reply): return reply.challenge
        case .authParams(let reply): return reply.challenge
        default: throw ProtocolError(.internal, "not a challenge")
        }
    }

    /// `key`'s signature over this connection's transcript of `challenge`.
    func proof(
        _ purpose: LoginProof.Purpose, subject: String, actor: String = "", key: LoginKey, challenge: Data
    ) throws -> Data {
        try key.sign(
            LoginProof.transcript(
                purpose, subject: subject, actor: actor, loginKey: key.publicKey, challenge: challenge,
                channelBinding: Data(channelBinding)))
    }

    /// Signs in the way `ChatClient` does (KDF parameters `.fast`), without a client around the connection.
    func signIn(_ username: String, password: String) async throws {
        let challenge = try await challenge(.getAuthParams(.with { $0.username = username }))
        let key = try AccountSecrets.derive(password: password, username: username, parameters: .fast).loginKey
        let signature = try proof(.signIn, subject: username, key: key, challenge: challenge)
        _ = try await request(.signIn(.with { $0.username = username; $0.signature = signature }))
    }
}
