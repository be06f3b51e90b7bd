import Foundation
import Testing

/// `fastchat receive` and an image it cannot save (issue 12, item 6): the message is not acknowledged, stderr says
/// why in one sentence, the exit code is 31, and a later receive saves it.
@Suite("receive: an image that cannot be saved stays pending", .heavy, .serialized, .timeLimit(.minutes(10)))
struct ImageSaveCLITests {
    @Test("a failed save exits 31 and leaves the message pending; the next receive saves it")
    func failedSaveStaysPendingUntilAReceiveCanSaveIt() async throws {
        try await withCLIServer { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            var image = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            image.append(Data((0..<200_000).map { _ in UInt8.random(in: 0...255) }))
            let imagePath = scratch.file("cat.png")
            try image.write(to: URL(fileURLWithPath: imagePath))
            let sent = try await alice.run("send", ["--to", "bob", "--image", imagePath, "--caption", "a cat"])
            #expect(sent.exitCode == 0, "\(sent)")

            // A regular file where bob's downloads directory should be: no directory can be made there and nothing
            // written under it, even by root (which permission bits would not stop).
            let downloads = URL(fileURLWithPath: bob.home).appendingPathComponent("bob/downloads")
            try Data("in the way".utf8).write(to: downloads)
            let failed = try await bob.receive(["--json"])
            #expect(failed.exitCode == 31, "\(failed)")
            #expect(failed.stdout.isEmpty, "nothing was shown: \(failed)")
            expectOneSentence(failed)
            #expect(failed.stderr.contains("cat.png") && failed.stderr.contains("alice"), "\(failed)")
            #expect(!failed.stderr.contains(". "), "one sentence, not Foundation's two: \(failed)")

            try FileManager.default.removeItem(at: downloads)
            let received = try await bob.receive(["--json"])
            #expect(received.exitCode == 0, "\(received)")
            let line = try #require(received.stdoutLines.first, "the message came again: \(received)")
            #expect(received.stdoutLines.count == 1, "\(received)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["text"] as? String == "a cat")
            let saved = try #require(object["image"] as? String, "\(line)")
            #expect(saved.hasPrefix(downloads.path + "/"), "\(saved)")
            #expect(FileManager.default.contents(atPath: saved) == image)

            let again = try await bob.receive(["--json"])
            #expect(again.exitCode == 0 && again.stdout.isEmpty, "acknowledged once saved: \(again)")
        }
    }
}
