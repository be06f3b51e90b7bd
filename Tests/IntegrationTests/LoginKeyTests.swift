import FastChatClient
import FastChatCrypto
import FastChatProtocol
import FastChatStore
import Foundation
import Testing

/// Accounts and groups made before login keys sign in once with their old auth key and are upgraded; passwords
/// change without touching the identity.
@Suite(.timeLimit(.minutes(10))) struct LoginKeyTests {
    @Test(arguments: Backend.all)
    func legacyAccountIsUpgradedAtItsFirstSignIn(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            // The account as nodes before login keys stored it: a slow salted hash of the auth key.
            let secrets = try AccountSecrets.derive(password: "old times", username: "olga", parameters: .fast)
            let identity = Identity.generate()
            let hash = try AuthKeyHash.make(authKey: secrets.authKey, parameters: .fast).encoded
            try await node.store.createUser(
                UserRecord(
                    username: "olga", verifier: .legacyHash(hash), kdfLog2N: 10, kdfR: 8, kdfP: 1,
                    signingKey: identity.publicIdentity.signingKey, agreementKey: identity.publicIdentity.agreementKey,
                    keyBackup: try identity.sealedBackup(vaultKey: secrets.vaultKey)))

            #expect(try await code { try await node.client().signIn(username: "olga", password: "wrong") } == .incorrectPassword)
            #expect(try await node.store.user(named: "olga")?.verifier == .legacyHash(hash), "a wrong password upgrades nothing")

            let first = node.client(home: "olga")
            try await first.signIn(username: "olga", password: "old times")
            #expect(await first.fingerprint == identity.publicIdentity.fingerprint)
            #expect(try await node.store.user(named: "olga")?.verifier == .loginKey(secrets.loginKey.publicKey))
            await first.signOut()

            // From now on only a signature over a challenge gets in: the old auth key with a key of one's own does not.
            let (connection, _) = try await FrameConnection.open(to: node.endpoint, tls: node.clientTLS, answerTimeout: patience)
            let challenge = try await connection.challenge(.getAuthParams(.with { $0.username = "olga" }))
            let intruder = try AccountSecrets.derive(password: "mine", username: "olga", parameters: .fast).loginKey
            let signature = try await connection.proof(.signIn, subject: "olga", key: intruder, challenge: challenge)
            let legacyAttempt = Fastchat_V1_SignIn.with {
                $0.username = "olga"
                $0.signature = signature
                $0.legacyAuthKey = secrets.authKey
                $0.loginKey = intruder.publicKey
            }
            #expect(try await code { _ = try await connection.request(.signIn(legacyAttempt)) } == .incorrectPassword)
            await connection.close()

            let second = node.client(home: "olga-elsewhere")
            try await second.signIn(username: "olga", password: "old times")
            #expect(await second.fingerprint == identity.publicIdentity.fingerprint, "the backup still opens")
        }
    }

    @Test(arguments: Backend.all)
    func legacyGroupIsUpgradedAtItsFirstJoin(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let authKey = try GroupPassword.authKey(password: "old group", group: "old", parameters: .fast)
            let hash = try AuthKeyHash.make(authKey: authKey, parameters: .fast).encoded
            try await node.store.createGroup(
                GroupRecord(name: "old", verifier: .legacyHash(hash), kdfLog2N: 10, kdfR: 8, kdfP: 1, createdBy: "alice"))

            let bob = try await node.user("bob")
            #expect(try await code { try await bob.joinGroup("old", password: "wrong") } == .incorrectGroupPassword)
            #expect(try await node.store.group(named: "old")?.verifier == .legacyHash(hash))
            try await bob.joinGroup("old", password: "old group")
            let key = try GroupPassword.derive(password: "old group", group: "old", parameters: .fast).loginKey
            #expect(try await node.store.group(named: "old")?.verifier == .loginKey(key.publicKey))

            let carol = try await node.user("carol")
            try await carol.joinGroup("old", password: "old group")
            #expect(try await alice.members(of: "old").map(\.username) == ["alice", "bob", "carol"])
        }
    }

    @Test(arguments: Backend.all)
    func changedPasswordKeepsTheIdentity(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice", password: "first password")
            let fingerprint = try #require(await alice.fingerprint)
            let bob = try await node.user("bob")
            try await bob.send("sealed before the change", to: "alice")
            try await alice.changePassword(to: "second password")
            await alice.signOut()

            #expect(try await code { try await node.client().signIn(username: "alice", password: "first password") } == .incorrectPassword)
            // A machine that never saw alice's keys recovers them from the backup the new password opens.
            let elsewhere = node.client(home: "alice-elsewhere")
            try await elsewhere.signIn(username: "alice", password: "second password")
            #expect(await elsewhere.fingerprint == fingerprint)
            #expect(try await elsewhere.pendingMessages().map(\.text) == ["sealed before the change"])
            let stored = try #require(try await node.store.user(named: "alice"))
            let vault = try AccountSecrets.derive(password: "second password", username: "alice", parameters: .fast).vaultKey
            #expect(try Identity(sealedBackup: stored.keyBackup, vaultKey: vault).publicIdentity.fingerprint == fingerprint)
        }
    }

    /// A session alone does not change the password: the current login key must sign too.
    @Test func passwordChangeNeedsTheCurrentKey() async throws {
        try await withNode { node in
            try await node.client().signUp(username: "alice", password: "first password")
            let (connection, _) = try await FrameConnection.open(to: node.endpoint, tls: node.clientTLS, answerTimeout: patience)
            try await connection.signIn("alice", password: "first password")
            let challenge = try await connection.challenge()
            let new = try AccountSecrets.derive(password: "taken over", username: "alice", parameters: .fast)
            let notTheCurrent = try AccountSecrets.derive(password: "a guess", username: "alice", parameters: .fast)
            let transcript = LoginProof.transcript(
                .changePassword, subject: "alice", loginKey: new.loginKey.publicKey, challenge: challenge,
                channelBinding: Data(await connection.channelBinding))
            let request = try Fastchat_V1_ChangePassword.with {
                $0.loginKey = new.loginKey.publicKey
                $0.kdf = .with { $0.log2N = 10; $0.r = 8; $0.p = 1 }
                $0.keyBackup = Data(repeating: 7, count: 80)
                $0.signature = try new.loginKey.sign(transcript)
                $0.oldSignature = try notTheCurrent.loginKey.sign(transcript)
            }
            #expect(try await code { _ = try await connection.request(.changePassword(request)) } == .incorrectPassword)
            await connection.close()
            try await node.client().signIn(username: "alice", password: "first password")
        }
    }
}
