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
        let swapped = try await SwappedKey.start()
        defer { swapped.stop() }
        let (second, pinned, impostor) = (swapped.second, swapped.pinned, swapped.impostor)
        let alice = swapped.alice
        func stored() async throws -> Int { try await swapped.stored() }
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

    @Test("the interactive client shows both fingerprints and asks before it seals for a changed key")
    func changedKeyAsksInTheInteractiveClient() async throws {
        let swapped = try await SwappedKey.start()
        defer { swapped.stop() }
        let pane = try TmuxPane(
            command: [try FastChatBuild.requireExecutable().path, "chat", "--user", "alice"],
            environment: swapped.alice.environment().merging(["FASTCHAT_CONNECT": swapped.alice.connect]) { _, new in new })
        defer { pane.kill() }
        let before = try await swapped.stored()
        try await pane.waitFor("Choose [1-3]:")
        try pane.type("1")
        try await pane.waitFor("1) Chat with a user")
        try pane.type("1")
        try await pane.waitFor("Chat with (username):")
        try pane.type("bob")
        try await pane.waitFor("── Chat with bob ──")
        try pane.type("first try")
        let asked = try await pane.waitFor("Trust it and send? [y/N]")
        #expect(asked.contains(swapped.pinned) && asked.contains(swapped.impostor.fingerprint), "\(asked)")
        try pane.type("n")
        try await pane.waitFor("Not sent.")
        #expect(try await swapped.stored() == before, "nothing was sealed for the new key")
        try pane.type("second try")
        try await pane.waitFor("Trust it and send? [y/N]", count: 2)
        try pane.type("y")
        try await pane.waitFor("Trusted bob's new key")
        try await pane.waitFor("you → bob: second try ✓")
        #expect(try await swapped.stored() == before + 1)
        try pane.type("/quit")
        try await pane.waitFor("1) Chat with a user", count: 2)
        try pane.type("7")
        #expect(try await pane.waitForExit() == 0)
    }
}

/// alice and bob signed up on a node, alice's client pinned bob's key; then bob's keys were swapped in the store (as
/// a malicious server would) and the node restarted: `second`, which alice connects to.
private struct SwappedKey {
    let scratch: Scratch
    let second: ServerProcess
    let alice: CLIUser
    let pinned: String
    let impostor: PublicIdentity
    let pool: DatabasePool

    static func start() async throws -> SwappedKey {
        let scratch = try Scratch("fastchat-trust")
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
        let second = try await ServerProcess.start(database: "sqlite:" + path, in: scratch.url)
        alice.connect = second.address
        return SwappedKey(scratch: scratch, second: second, alice: alice, pinned: pinned, impostor: impostor, pool: pool)
    }

    /// Mailbox rows: what was sealed and stored.
    func stored() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM mailbox") ?? 0 }
    }

    func stop() {
        second.process.signal(SIGKILL)
        try? pool.close()
        scratch.remove()
    }
}
