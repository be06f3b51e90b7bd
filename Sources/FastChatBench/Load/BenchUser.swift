import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation

/// One simulated account: its name, the secrets its password derives, and its identity keys — everything a real
/// client holds, created once per run so sign-up and sign-in cost what they cost a real client.
struct BenchUser: Sendable {
    static let password = "bench-password"

    let index: UInt32
    let username: String
    let identity: Identity
    let loginKey: LoginKey
    let kdf: KDFParameters
    private let keyBackup: Data

    init(index: UInt32, prefix: String, kdf: KDFParameters) throws {
        self.index = index
        username = "\(prefix)\(index)"
        self.kdf = kdf
        identity = Identity.generate()
        let secrets = try AccountSecrets.derive(password: Self.password, username: username, parameters: kdf)
        loginKey = secrets.loginKey
        keyBackup = try identity.sealedBackup(vaultKey: secrets.vaultKey)
    }

    /// Signs up and in on `channel` the way a real client does: a challenge for each proof, signed.
    func signUpAndIn(on channel: BenchChannel) async throws {
        let signUpChallenge = try await channel.challenge(.getChallenge(.init()))
        var signUp = Fastchat_V1_SignUp()
        signUp.username = username
        signUp.loginKey = loginKey.publicKey
        signUp.signature = try channel.sign(
            .signUp, subject: username, actor: "", by: loginKey, challenge: signUpChallenge)
        signUp.kdf = WireKDFParams(kdf)
        signUp.identity = WirePublicIdentity(identity.publicIdentity)
        signUp.keyBackup = keyBackup
        _ = try await channel.request(.signUp(signUp))
        try await signIn(on: channel)
    }

    /// Signs in to the account made before, as on a new connection.
    func signIn(on channel: BenchChannel) async throws {
        let challenge = try await channel.challenge(.getAuthParams(.with { $0.username = username }))
        let signature = try channel.sign(.signIn, subject: username, actor: "", by: loginKey, challenge: challenge)
        _ = try await channel.request(.signIn(.with { $0.username = username; $0.signature = signature }))
    }
}
