import Crypto
import Foundation

/// What a login key signs to prove a password: one transcript per proof, never reusable.
///
/// The node issues a random challenge per connection and forgets it at the next proof, so a signature is good once.
/// The channel binding (the TLS server certificate's hash as the client saw it; empty on a plaintext connection)
/// ties the signature to the connection the client actually made: relayed through a man in the middle that
/// terminates TLS itself, the binding differs and the node refuses it. The purpose label keeps a sign-in signature
/// from counting as a group join, and the names keep one account's proof from counting for another.
public enum LoginProof {
    public enum Purpose: String, Sendable, CaseIterable {
        case signUp = "sign-up"
        case signIn = "sign-in"
        case changePassword = "change-password"
        case createGroup = "group-create"
        case joinGroup = "group-join"
        case changeGroupPassword = "group-change-password"
    }

    /// Bytes of the random challenge the node issues.
    public static let challengeByteCount = 32

    /// Fresh bytes from swift-crypto's random generator.
    public static func makeChallenge() -> Data {
        SymmetricKey(size: .init(bitCount: challengeByteCount * 8)).data
    }

    /// The canonical transcript: label, purpose, `subject` (the account or group the password belongs to), `actor`
    /// (the signed-in user making a group proof; empty for account proofs), the login key's public half, the
    /// challenge and the channel binding, each length-prefixed.
    public static func transcript(
        _ purpose: Purpose,
        subject: String,
        actor: String = "",
        loginKey: Data,
        challenge: Data,
        channelBinding: Data
    ) -> Data {
        var encoder = CanonicalEncoder()
        encoder.append(DomainLabel.loginProof)
        encoder.append(purpose.rawValue)
        encoder.append(subject)
        encoder.append(actor)
        encoder.append(loginKey)
        encoder.append(challenge)
        encoder.append(channelBinding)
        return encoder.bytes
    }
}
