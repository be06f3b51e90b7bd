import Foundation
import Testing

/// A recipient with as much waiting as the node allows: a send to them is refused with its own exit code and one
/// sentence, nothing is stored, and the same send goes through once they have read.
@Suite(.timeLimit(.minutes(10))) struct MailboxQuotaCLITests {
    @Test func aFullMailboxRefusesWithExit15UntilItsOwnerReads() async throws {
        try await withCLIServer(arguments: ["--mailbox-quota-messages", "2"]) { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            for text in ["one", "two"] {
                let sent = try await alice.send(text, to: "bob")
                #expect(sent.exitCode == 0, "\(sent)")
            }
            let refused = try await alice.send("three", to: "bob")
            #expect(refused.exitCode == 15, "\(refused)")
            #expect(refused.stderr.contains("The mailbox of bob is full"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "one sentence: \(refused.stderr)")

            let read = try await bob.receive()
            #expect(try messages(in: read).map(\.text) == ["one", "two"], "\(read)")
            let again = try await alice.send("three", to: "bob")
            #expect(again.exitCode == 0, "\(again)")
            #expect(try messages(in: try await bob.receive()).map(\.text) == ["three"])
        }
    }
}
