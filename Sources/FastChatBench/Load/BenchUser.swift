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
    let authKey: Data
    let kdf: KDFParameters
    let signUp: Fastchat_V1_SignUp

    init(index: UInt32, prefix: String, kdf: KDFParameters) throws {
        self.index = index
        username = "\(prefix)\(index)"
        self.kdf = kdf
        identity = Identity.generate()
        let secrets = try AccountSecrets.derive(password: Self.password, username: username, parameters: kdf)
        authKey = secrets.authKey
        var request = Fastchat_V1_SignUp()
        request.username = username
        request.authKey = secrets.authKey
        request.kdf = WireKDFParams(kdf)
        request.identity = WirePublicIdentity(identity.publicIdentity)
        request.keyBackup = try identity.sealedBackup(vaultKey: secrets.vaultKey)
        signUp = request
    }

    var signIn: Fastchat_V1_SignIn {
        .with {
            $0.username = username
            $0.authKey = authKey
        }
    }
}
