import FastChatProtocol
@testable import FastChatServer
import FastChatStore
import Foundation
import Testing

/// Receipts for one sender that one commit or one forward brings: a version-4 connection gets them in `Receipts`
/// frames, an older one a `Receipt` each, both in the order the entries were acknowledged.
@Suite struct ReceiptBatchesTests {
    @Test func aCommitsReceiptsGoToEachSenderInOneFrameOrOneEachForAnOlderClient() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        let alice = try await TestConnection.make()
        let carol = try await TestConnection.make()
        await alice.signIn("alice", at: services, receiptsInBatches: true)
        await carol.signIn("carol", at: services)
        _ = try await (alice.written(), carol.written())
        let removed = [
            entry(from: "alice", to: "bob"), entry(from: "carol", to: "bob"), entry(from: "alice", to: "dave"),
            entry(from: "carol", to: "dave"), entry(from: "alice", to: "erin"),
        ]

        #expect(services.sendReceipts(for: removed) == nil, "both senders are here: nothing is left for later")

        let batch = try #require(oneReceiptsFrame(try await alice.written()))
        let alices = removed.filter { $0.sender == "alice" }
        #expect(batch.receipts.map(\.messageID) == alices.map(\.messageID.bytes))
        #expect(batch.receipts.map(\.recipient) == ["bob", "dave", "erin"])
        let toCarol = try await carol.written().map(\.body)
        #expect(toCarol == removed.filter { $0.sender == "carol" }.map { entry in
            .receipt(.with { $0.messageID = entry.messageID.bytes; $0.recipient = entry.recipient })
        })
    }

    @Test func manyReceiptsAreSplitIntoFramesInOrder() async throws {
        try await withAliceSignedIn { services, alice in
            let removed = (0...ReceiptBatch.maxPerFrame).map { index in entry(from: "alice", to: "member\(index)") }

            #expect(services.sendReceipts(for: removed) == nil)

            let frames = try await alice.written().compactMap { frame -> [Fastchat_V1_Receipt]? in
                if case .receipts(let batch) = frame.body { return batch.receipts }
                return nil
            }
            #expect(frames.map(\.count) == [ReceiptBatch.maxPerFrame, 1])
            #expect(frames.flatMap { $0.map(\.recipient) } == removed.map(\.recipient))
        }
    }

    @Test func receiptsForwardedByAnotherNodeArriveInOneFrame() async throws {
        try await withAliceSignedIn { services, alice in
            let ids = (0..<3).map { _ in UUID() }
            let forward = Fastchat_V1_Forward.with { forward in
                forward.receipts = ids.map { id in
                    .with { $0.to = "alice"; $0.receipt = .with { $0.messageID = id.bytes; $0.recipient = "bob" } }
                }
            }

            #expect(services.deliverForwardedNow(forward))

            let batch = try #require(oneReceiptsFrame(try await alice.written()))
            #expect(batch.receipts.map(\.messageID) == ids.map(\.bytes))
        }
    }

    /// Runs `body` with alice signed in on a connection that takes receipts in batches (what was written at her
    /// sign-in already read).
    private func withAliceSignedIn(_ body: (NodeServices, TestConnection) async throws -> Void) async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        let alice = try await TestConnection.make()
        await alice.signIn("alice", at: services, receiptsInBatches: true)
        _ = try await alice.written()
        try await body(services, alice)
    }

    /// The receipts of `frames` if they are one `Receipts` frame; nil (recorded) otherwise.
    private func oneReceiptsFrame(_ frames: [Frame]) -> Fastchat_V1_Receipts? {
        guard frames.count == 1, case .receipts(let batch) = frames[0].body else {
            Issue.record("Expected one Receipts frame; got \(frames)")
            return nil
        }
        return batch
    }

    private func entry(from sender: String, to recipient: String) -> MailboxEntry {
        MailboxEntry(
            seq: 1, recipient: recipient, sender: sender, messageID: UUID(), envelope: Data("sealed".utf8),
            storedAt: Date())
    }
}
