import FastChatClient
import FastChatCrypto
import FastChatProtocol
import FastChatServer
import FastChatTLS
import Foundation
import Synchronization
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

    /// Password hashing is rate-limited per account and per source address: the typed error says how long to wait,
    /// and once that time has passed the real user gets in. Time is moved by hand, never waited for.
    @Test(arguments: Backend.all)
    func hashingIsRateLimitedPerAccountAndPerAddress(_ backend: Backend) async throws {
        let time = ManualTime()
        let limits = AuthLimits(
            perAddress: AuthRate(burst: 6, perMinute: 6), perAccount: AuthRate(burst: 3, perMinute: 3),
            now: { time.now })
        try await withNode(on: backend, configure: { $0.authLimits = limits }) { node in
            try await node.client().signUp(username: "alice", password: "right")  // address 5 left, alice 2
            let guesser = node.client()
            for attempt in 0..<2 {
                #expect(try await code { try await guesser.signIn(username: "alice", password: "guess \(attempt)") } == .incorrectPassword)
            }
            // alice's bucket is empty: wrong and right passwords alike wait 60 s / 3 = 20 s.
            for password in ["guess 3", "right"] {
                let limited = await #expect(throws: ProtocolError.self) {
                    try await node.client().signIn(username: "alice", password: password)
                }
                #expect(limited?.code == .rateLimited && limited?.retryAfterSeconds == 20, "\(String(describing: limited))")
                #expect(limited?.message == "Too many sign-in attempts for alice: try again in 20 seconds.")
            }
            // Another account from the same address is not held back by alice's limit, only by the address's.
            try await node.client().signUp(username: "bob", password: "pw")  // address 2 left
            try await node.client().signUp(username: "carol", password: "pw")  // address 1 left
            try await node.client().signUp(username: "dave", password: "pw")  // address 0 left
            let busy = await #expect(throws: ProtocolError.self) { try await node.client().signUp(username: "erin", password: "pw") }
            #expect(busy?.code == .rateLimited && busy?.retryAfterSeconds == 10)
            #expect(busy?.message == "Too many sign-up attempts from this address: try again in 10 seconds.")

            time.advance(by: .seconds(20))
            let alice = node.client()
            try await alice.signIn(username: "alice", password: "right")
            #expect(await alice.username == "alice")
        }
    }

    /// A server can answer any KDF parameters for an account: the client derives nothing weaker than its own.
    @Test(arguments: Backend.all)
    func weakKDFFromTheServerIsRefused(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            var weak = KDFParameters.fast
            weak.r = 1
            let maker = ChatClient(options: .init(endpoint: node.endpoint, tls: node.clientTLS, home: node.directory, kdf: weak, answerTimeout: patience))
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
        // Without rate limits (tested below): this is about the per-connection close and the harm done.
        let unlimited = AuthRate(burst: 100_000, perMinute: 100_000)
        try await withNode(on: backend, configure: { $0.authLimits = AuthLimits(perAddress: unlimited, perAccount: unlimited) }) { node in
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

/// A clock a test moves by hand.
final class ManualTime: Sendable {
    private let start = ContinuousClock.now
    private let offset = Mutex<Duration>(.zero)

    var now: ContinuousClock.Instant { start + offset.withLock { $0 } }

    func advance(by duration: Duration) {
        offset.withLock { $0 += duration }
    }
}
