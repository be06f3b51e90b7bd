import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation
import Testing

@Suite(.timeLimit(.minutes(10))) struct AccountTests {
    @Test(arguments: Backend.all)
    func signInHasFourOutcomes(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let signUp = node.client()
            try await signUp.signUp(username: "alice", password: "pw-alice")

            let first = node.client(home: "a")
            try await first.signIn(username: "alice", password: "pw-alice")
            #expect(await first.username == "alice")

            let elsewhere = node.client(home: "b")
            #expect(try await code { try await elsewhere.signIn(username: "alice", password: "pw-alice") } == .alreadyLoggedIn)
            #expect(try await code { try await node.client().signIn(username: "alice", password: "wrong") } == .incorrectPassword)
            #expect(try await code { try await node.client().signIn(username: "nobody", password: "x") } == .noSuchUser)

            // Signing out frees the account for the other machine.
            await first.signOut()
            try await elsewhere.signIn(username: "alice", password: "pw-alice")
        }
    }

    @Test(arguments: Backend.all)
    func disconnectingEndsTheSession(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            await alice.signOut()
            let again = node.client()
            try await again.signIn(username: "alice", password: "correct horse")
        }
    }

    @Test(arguments: Backend.all)
    func takenUsernameIsRefused(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            try await node.client().signUp(username: "bob", password: "one")
            #expect(try await code { try await node.client().signUp(username: "bob", password: "two") } == .usernameTaken)
            // The first account is untouched.
            try await node.client().signIn(username: "bob", password: "one")
        }
    }

    @Test(arguments: Backend.all, ["", "has space", "ünïcode", "a/b", String(repeating: "x", count: 33), "semi;colon"])
    func invalidUsernamesAreRefused(_ backend: Backend, _ name: String) async throws {
        try await withNode(on: backend) { node in
            let failure = try await code { try await node.client().signUp(username: name, password: "pw") }
            #expect(failure == .badRequest)
        }
    }

    @Test(arguments: Backend.all)
    func validUsernameCharacters(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let name = "A.b-c_9" + String(repeating: "z", count: 25)
            try await node.client().signUp(username: name, password: "pw")
            try await node.client().signIn(username: name, password: "pw")
        }
    }

    /// Another machine (another home directory) recovers the identity from the server's encrypted backup.
    @Test(arguments: Backend.all)
    func signInOnANewMachineRecoversKeys(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let fingerprint = try #require(await alice.fingerprint)
            try await node.client().signUp(username: "bob", password: "correct horse")
            try await alice.send("for the new laptop", to: "bob")
            await alice.signOut()

            let laptop = node.client(home: "alice-laptop")
            try await laptop.signIn(username: "alice", password: "correct horse")
            #expect(await laptop.fingerprint == fingerprint)
            let bob = node.client(home: "bob")
            try await bob.signIn(username: "bob", password: "correct horse")
            #expect(try await bob.pendingMessages().map(\.text) == ["for the new laptop"])
        }
    }

    /// A server can answer any KDF parameters for an account: the client derives nothing weaker than its own.
    @Test(arguments: Backend.all)
    func weakKDFFromTheServerIsRefused(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            var weak = KDFParameters.fast
            weak.r = 1
            let maker = ChatClient(options: .init(endpoint: node.endpoint, home: node.directory, kdf: weak))
            try await maker.signUp(username: "alice", password: "pw")
            let failure = await #expect(throws: ProtocolError.self) {
                try await node.client().signIn(username: "alice", password: "pw")
            }
            #expect(failure?.message.contains("weaker password hash (scrypt N = 2^10, r = 1, p = 1)") == true)

            // A group made that weakly cannot be joined either.
            try await maker.signIn(username: "alice", password: "pw")
            try await maker.createGroup("team", password: "g")
            let bob = try await node.user("bob")
            let refused = await #expect(throws: ProtocolError.self) { try await bob.joinGroup("team", password: "g") }
            #expect(refused?.message.contains("weaker group password hash") == true)
        }
    }

    /// Three hundred wrong passwords: each answered, connections that keep guessing are closed, nothing is harmed.
    @Test(.heavy, arguments: Backend.all)
    func manyWrongPasswords(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            try await node.client().signUp(username: "bob", password: "correct horse")
            try await alice.send("still here", to: "bob")
            var incorrect = 0
            let guesser = node.client()
            for attempt in 0..<300 {
                do {
                    try await guesser.signIn(username: "bob", password: "guess \(attempt)")
                } catch let error as ProtocolError where error.code == .incorrectPassword {
                    incorrect += 1
                } catch let error as ProtocolError where error.code == .unavailable {
                    // The node closed this guesser's connection; the next attempt reconnects.
                    continue
                }
            }
            #expect(incorrect >= 250)
            let bob = node.client(home: "bob")
            try await bob.signIn(username: "bob", password: "correct horse")
            #expect(try await bob.pendingMessages().map(\.text) == ["still here"])
        }
    }
}

/// The error code `body` fails with (nil when it succeeds).
func code(_ body: () async throws -> Void) async throws -> ErrorCode? {
    do {
        try await body()
        return nil
    } catch let error as ProtocolError {
        return error.code
    }
}
