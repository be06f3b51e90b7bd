import FastChatCrypto
import Foundation
import Testing

@Suite("fastchat passwd", .heavy, .serialized, .timeLimit(.minutes(10)))
struct PasswdCLITests {
    @Test("passwd: the old password is refused afterwards, the new one works, earlier messages still open")
    func passwdChangesThePassword() async throws {
        let scratch = try Scratch("fastchat-passwd")
        defer { scratch.remove() }
        let server = try await ServerProcess.start(database: "sqlite:" + scratch.file("fc.db"), in: scratch.url)
        try await NodeLog.$tail.withValue({ server.log }) {
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            #expect(try await bob.send("sent before the change", to: "alice").exitCode == 0)

            let newPassword = "a new password \(UUID().uuidString.prefix(4))"
            let changed = try await FastChatCLI.run(
                ["passwd", "--connect", alice.connect, "--user", "alice"],
                environment: alice.environment().merging(["FASTCHAT_NEW_PASSWORD": newPassword]) { $1 },
                in: scratch.url)
            #expect(changed.exitCode == 0, "\(changed)")
            #expect(changed.stdout.contains("Changed the password of alice."), "\(changed)")

            let refused = try await alice.receive()
            #expect(refused.exitCode == 12, "\(refused)")
            expectOneSentence(refused)

            // A fresh home: the identity comes from the backup only the new password opens.
            var elsewhere = alice
            elsewhere.password = newPassword
            elsewhere.home = scratch.file("home-alice-elsewhere")
            let received = try await elsewhere.receive()
            #expect(received.exitCode == 0, "\(received)")
            #expect(try messages(in: received).map(\.text) == ["sent before the change"])
        }
        #expect(try await server.stop().exitCode == 0)
    }
}
