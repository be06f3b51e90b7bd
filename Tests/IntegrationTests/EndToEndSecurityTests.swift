import FastChatClient
import FastChatCrypto
import FastChatProtocol
import FastChatTLS
import Foundation
import GRDB
import Testing

/// What a malicious or compromised server (or its database) can and cannot do. SQLite only: these read or rewrite
/// the raw database file (the harness's default store).
@Suite(.timeLimit(.minutes(10))) struct EndToEndSecurityTests {
    @Test func databaseHoldsNoPlaintextOrPassword() async throws {
        try await withNode { node in
            let marker = "secret-marker-\(UUID().uuidString)"
            let password = "password-marker-\(UUID().uuidString)"
            let alice = try await node.user("alice", password: password)
            try await node.client(home: "bob").signUp(username: "bob", password: password)
            try await alice.send("the text is \(marker)", to: "bob")
            try await alice.send(marker, to: "bob")

            var bytes = Data()
            for suffix in ["", "-wal", "-shm"] {
                if let data = FileManager.default.contents(atPath: node.databasePath + suffix) { bytes.append(data) }
            }
            #expect(bytes.count > 0)
            #expect(bytes.range(of: Data(marker.utf8)) == nil)
            #expect(bytes.range(of: Data(password.utf8)) == nil)
            // The envelopes are there, sealed.
            #expect(try await mailboxCount(node) == 2)
        }
    }

    @Test func tamperedCiphertextIsRejected() async throws {
        try await withNode { node in
            let alice = try await node.user("alice")
            try await node.client(home: "bob").signUp(username: "bob", password: "pw")
            try await alice.send("tamper with me", to: "bob")
            try await alice.send("leave me alone", to: "bob")
            try await rewriteFirstEnvelope(node) { $0.ciphertext[$0.ciphertext.startIndex + 3] ^= 0x01 }

            let bob = node.client(home: "bob")
            try await bob.signIn(username: "bob", password: "pw")
            let rejectedFrom = try await bob.next { event -> String? in
                if case .rejected(let from, _) = event { return from }
                return nil
            }
            #expect(rejectedFrom == "alice")
            #expect(try await bob.pendingMessages().map(\.text) == ["leave me alone"])
            // The rejected message was acknowledged, so it does not come back forever.
            #expect(try await mailboxCount(node) == 0)
        }
    }

    /// The server (or anyone with the database) relabels alice's message as carol's: the signature does not match
    /// carol's key, so bob refuses it.
    @Test func forgedSenderIsRejectedByTheRecipient() async throws {
        try await withNode { node in
            let alice = try await node.user("alice")
            try await node.client(home: "carol").signUp(username: "carol", password: "pw")
            try await node.client(home: "bob").signUp(username: "bob", password: "pw")
            try await alice.send("I am alice", to: "bob")
            try await rewriteFirstEnvelope(node) { $0.sender = "carol" }

            let bob = node.client(home: "bob")
            try await bob.signIn(username: "bob", password: "pw")
            var shown: [ReceivedMessage] = []
            var rejected: [String] = []
            for await event in bob.events {
                if case .message(let message) = event { shown.append(message) }
                if case .rejected(let from, _) = event { rejected.append(from) }
                if case .synced = event { break }
            }
            #expect(shown.isEmpty)
            #expect(rejected == ["carol"])
        }
    }

    /// A client cannot send under someone else's name: the node checks the envelope against the session.
    @Test func nodeRefusesEnvelopesInAnotherName() async throws {
        try await withNode { node in
            _ = try await node.user("alice")
            _ = try await node.user("bob")
            try await node.client().signUp(username: "mallory", password: "pw")
            let (connection, _) = try await FrameConnection.open(to: node.endpoint, tls: node.clientTLS, answerTimeout: patience)
            try await connection.signIn("mallory", password: "pw")
            var send = Fastchat_V1_Send()
            send.envelope.sender = "alice"
            send.envelope.recipient = "bob"
            send.envelope.messageID = UUID().bytes
            send.envelope.ciphertext = Data([1, 2, 3])
            #expect(try await code { _ = try await connection.request(.send(send)) } == .badRequest)
            await connection.close()
        }
    }

    @Test func changedPeerKeyIsLoud() async throws {
        try await withNode { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            _ = try await bob.whois("alice")
            let original = try #require(await alice.fingerprint)
            await bob.signOut()
            // The server swaps alice's public key (a MITM attempt, or alice reinstalled).
            let impostor = Identity.generate().publicIdentity
            let pool = try DatabasePool(path: node.databasePath)
            try await pool.write { db in
                try db.execute(
                    sql: "UPDATE users SET signing_key = ?, agreement_key = ? WHERE username = 'alice'",
                    arguments: [impostor.signingKey, impostor.agreementKey]
                )
            }
            try pool.close()
            _ = alice

            try await withNode(sharing: node) { restarted in
                let bobAgain = ChatClient(options: .init(endpoint: restarted.endpoint, tls: restarted.clientTLS, home: node.directory.appendingPathComponent("homes/bob"), kdf: .fast, answerTimeout: patience))
                try await bobAgain.signIn(username: "bob", password: "correct horse")
                let status = try await bobAgain.whois("alice")
                #expect(status.changed)
                let warning = try await bobAgain.next { event -> String? in
                    if case .keyChanged(let peer, _, let new) = event { return "\(peer) \(new)" }
                    return nil
                }
                #expect(warning == "alice \(impostor.fingerprint)")

                // Nothing is sealed for the new key until bob trusts it, and asking again does not re-pin it.
                let stored = try await mailboxCount(node)
                let refused = await #expect(throws: PeerKeyChanged.self) { try await bobAgain.send("to the impostor?", to: "alice") }
                #expect(refused?.presentedFingerprint == impostor.fingerprint)
                #expect(refused?.pinnedFingerprint == original)
                #expect(try await mailboxCount(node) == stored, "nothing was stored")
                #expect(try await bobAgain.whois("alice").changed, "still changed: never re-pinned on its own")

                // Only the key the server really presents can be trusted.
                let wrong = Identity.generate().publicIdentity.fingerprint
                await #expect(throws: FingerprintMismatch.self) { try await bobAgain.trust("alice", fingerprint: wrong) }
                #expect(try await bobAgain.whois("alice").changed)
                let trusted = try await bobAgain.trust("alice", fingerprint: impostor.fingerprint.uppercased())
                #expect(trusted.new == impostor.fingerprint && trusted.old == original)
                #expect(try await !bobAgain.whois("alice").changed)
                try await bobAgain.send("now trusted", to: "alice")
                #expect(try await mailboxCount(node) == stored + 1)
            }
        }
    }
}

private func mailboxCount(_ node: NodeHarness) async throws -> Int {
    let pool = try DatabasePool(path: node.databasePath)
    defer { try? pool.close() }
    return try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM mailbox") ?? 0 }
}

/// Plays a malicious server: rewrites the oldest envelope in the mailbox.
private func rewriteFirstEnvelope(_ node: NodeHarness, _ change: @Sendable (inout Envelope) -> Void) async throws {
    let pool = try DatabasePool(path: node.databasePath)
    defer { try? pool.close() }
    try await pool.write { db in
        let row = try #require(try Row.fetchOne(db, sql: "SELECT seq, envelope FROM mailbox ORDER BY seq LIMIT 1"))
        var item = try Fastchat_V1_MailboxItem(serializedBytes: row["envelope"] as Data)
        change(&item.envelope)
        try db.execute(
            sql: "UPDATE mailbox SET envelope = ? WHERE seq = ?",
            arguments: [try item.serializedData(), row["seq"] as Int64]
        )
    }
}
