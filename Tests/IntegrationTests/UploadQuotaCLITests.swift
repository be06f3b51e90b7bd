import Foundation
import Testing

/// A sender whose unread images fill their upload quota: the next image is refused before it is stored, with the
/// image exit code and one sentence, and goes through once the recipient has read (and so freed) the first.
@Suite(.heavy, .timeLimit(.minutes(10))) struct UploadQuotaCLITests {
    @Test func anImagePastTheUploadQuotaExits30UntilTheEarlierOneIsRead() async throws {
        try await withCLIServer(arguments: ["--upload-quota-mb", "1"]) { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            func image(_ name: String) throws -> String {
                var bytes = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
                bytes.append(Data((0..<700_000).map { _ in UInt8.random(in: 0...255) }))
                let path = scratch.file(name)
                try bytes.write(to: URL(fileURLWithPath: path))
                return path
            }
            let first = try await alice.run("send", ["--to", "bob", "--image", try image("one.png")])
            #expect(first.exitCode == 0, "\(first)")

            let refused = try await alice.run("send", ["--to", "bob", "--image", try image("two.png")])
            #expect(refused.exitCode == 30, "\(refused)")
            #expect(refused.stderr.contains("leave no room for this one"), "\(refused.stderr)")
            expectOneSentence(refused)

            let read = try await bob.receive(["--json"])
            #expect(read.exitCode == 0 && read.stdoutLines.count == 1, "only the first image was stored: \(read)")
            let again = try await alice.run("send", ["--to", "bob", "--image", try image("three.png")])
            #expect(again.exitCode == 0, "room again once bob read the first: \(again)")
            let later = try await bob.receive(["--json"])
            #expect(later.exitCode == 0 && later.stdoutLines.count == 1, "\(later)")
        }
    }
}
