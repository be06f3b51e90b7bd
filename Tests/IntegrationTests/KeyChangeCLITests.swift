import FastChatCrypto
import Foundation
import GRDB
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A peer's key swapped on the server (a malicious server, or anyone on the path of a plaintext connection): the
/// scriptable client refuses to seal for it until the person accepts it with `fastchat trust`.
@Suite("Key changes stop the sender", .heavy, .serialized, .timeLimit(.minutes(10)))
struct KeyChangeCLITests {
    @Test("send to a peer whose key changed exits 14 naming both keys, stores nothing; only trust lets it through")
    func changedKeyStopsTheSender() async throws {
        let scratch = try Scratch("fastchat-trust")
        defer { scratch.remove() }
        let path = scratch.file("fc.db")
        let first = try await ServerProcess.start(database: "sqlite:" + path, in: scratch.url)
        var alice = try await signedUp("alice", server: first, scratch: scratch)
        _ = try await signedUp("bob", server: first, scratch: scratch)
        let pinned = try #require(fingerprintIn(try await alice.run("whois", ["bob"]).stdout))
        #expect(try await alice.send("before the swap", to: "bob").exitCode == 0)
        #expect(try await first.stop().exitCode == 0)

        let impostor = Identity.generate().publicIdentity
        let pool = try DatabasePool(path: path)
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE users SET signing_key = ?, agreement_key = ? WHERE username = 'bob'",
                arguments: [impostor.signingKey, impostor.agreementKey])
        }
        func stored() async throws -> Int {
            try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM mailbox") ?? 0 }
        }
        defer { try? pool.close() }

        let second = try await ServerProcess.start(database: "sqlite:" + path, in: scratch.url)
        defer { second.process.signal(SIGKILL) }
        alice.connect = second.address
        try await NodeLog.$tail.withValue({ second.log }) {
            let before = try await stored()
            for attempt in ["for the impostor?", "and again?"] {
                let refused = try await alice.send(attempt, to: "bob")
                #expect(refused.exitCode == 14, "\(refused)")
                expectOneSentence(refused)
                #expect(refused.stderr.contains(pinned) && refused.stderr.contains(impostor.fingerprint), "\(refused)")
                #expect(
                    refused.stderr.contains("fastchat trust --user alice bob --fingerprint '\(impostor.fingerprint)'"),
                    "\(refused)")
            }
            #expect(try await stored() == before, "nothing was sealed or stored for the new key")
            let whois = try await alice.run("whois", ["bob", "--json"])
            #expect(whois.stdout.contains("\"changed\":true"), "never re-pinned on its own: \(whois)")

            let wrong = try await alice.run("trust", ["bob", "--fingerprint", pinned])
            #expect(wrong.exitCode == 14, "\(wrong)")
            expectOneSentence(wrong)
            let trusted = try await alice.run("trust", ["bob", "--fingerprint", impostor.fingerprint])
            #expect(trusted.exitCode == 0, "\(trusted)")
            #expect(trusted.stdout.contains(impostor.fingerprint) && trusted.stdout.contains(pinned), "\(trusted)")

            let sent = try await alice.send("after trusting the new key", to: "bob")
            #expect(sent.exitCode == 0, "\(sent)")
            #expect(try await stored() == before + 1)
        }
        #expect(try await second.stop().exitCode == 0)
    }
}
