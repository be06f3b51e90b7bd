@testable import FastChatServer
import FastChatStore
import Foundation
import Testing

/// What a node's sweep deletes: only what is past its time, and all of it, however many transactions that takes.
@Suite struct StoreSweepTests {
    @Test func aSweepForgetsOnlyIdsPastTheDuplicateCheckWindowInSteps() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        let sweep = StoreSweep(services: services, stepSize: 2)
        let messages = (0..<5).map { _ in
            IncomingMessage(sender: "alice", messageID: UUID(), recipients: ["bob"], envelope: Data("sealed".utf8))
        }
        _ = try await scratch.store.accept(messages)

        #expect(try await sweep.sweep(now: Date()) == .init(), "a fresh id is within the window")
        #expect(try await scratch.store.accept(messages).allSatisfy { $0 == .duplicate })

        let pastTheWindow = Date().addingTimeInterval(services.configuration.duplicateCheckWindow.seconds + 60)
        #expect(try await sweep.sweep(now: pastTheWindow).forgottenMessages == 5, "in three steps of two ids")
        #expect(try await scratch.store.accept(messages).map(\.entries.count) == [1, 1, 1, 1, 1], "each is new again")
        #expect(try await scratch.store.pending(for: "bob", afterSeq: 0, limit: 20).count == 10, "no entry was lost")
    }

    @Test func aSweepDeletesForgottenUploadsAndThenExpiredImages() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        let configuration = services.configuration
        try #require(configuration.unreferencedUploadTimeToLive < configuration.imageTimeToLive)
        let (sent, forgotten) = (UUID(), UUID())
        for id in [sent, forgotten] {
            try await scratch.store.putBlobChunk(id: id, uploader: "alice", index: 0, data: Data("chunk".utf8), last: true, size: 5)
        }
        let message = IncomingMessage(
            sender: "alice", messageID: UUID(), recipients: ["bob"], envelope: Data("sealed".utf8), blobs: [sent])
        #expect(try await scratch.store.accept([message]).map(\.entries.count) == [1])
        let sweep = StoreSweep(services: services)
        let now = Date()

        #expect(try await sweep.sweep(now: now) == .init())
        let uploadsDue = now.addingTimeInterval(configuration.unreferencedUploadTimeToLive.seconds + 60)
        #expect(try await sweep.sweep(now: uploadsDue) == .init(unreferencedUploads: 1))
        #expect(try await scratch.store.blobChunk(id: sent, index: 0, reader: "bob") != nil, "a sent image stays")
        let imagesDue = now.addingTimeInterval(configuration.imageTimeToLive.seconds + 60)
        #expect(try await sweep.sweep(now: imagesDue).expiredImages == 1)
        #expect(try await scratch.store.blobChunk(id: sent, index: 0, reader: "bob") == nil, "until it expires")
    }
}

private extension AcceptOutcome {
    var entries: [MailboxEntry] {
        if case .stored(let entries) = self { entries } else { [] }
    }
}
