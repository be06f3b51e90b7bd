import FastChatProtocol
@testable import FastChatServer
import FastChatStore
import Foundation
import Logging
import Metrics
import NIOCore
import NIOEmbedded
import Testing

/// Live entries committed by different nodes can reach the recipient's node out of seq order (node A commits
/// seq 3, node B seq 5, B's forward lands first). Both must be pushed at once; an early version used the last
/// pushed seq as a cursor and silently held back the late lower one until the next sign-in.
@Suite struct MailboxDeliveryTests {
    @Test func liveEntriesOutOfSeqOrderAreAllPushedOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("delivery-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("fastchat.db").path, logger: Logger(label: "test"))
        defer { Task { try? await store.close() } }

        // One entry already pending at sign-in: the replay pushes it; a live copy of it must not come again.
        let pending = try await accept(in: store, text: "pending")
        let channel = NIOAsyncTestingChannel()
        let writer = try await FrameWriter.make(for: channel)
        let metrics = NodeMetrics(factory: NOOPMetricsHandler.instance)
        let delivery = MailboxDelivery(
            username: "bob", outbox: Outbox(writer: writer), store: store, pageSize: 2, metrics: metrics,
            logger: Logger(label: "test"))
        await delivery.replay()
        let first = try await accept(in: store, text: "first")
        let second = try await accept(in: store, text: "second")
        #expect(pending.seq < first.seq && first.seq < second.seq)

        await delivery.push([second])
        await delivery.push([first])
        await delivery.push([pending])

        await writer.flush()
        await channel.testingEventLoop.run()
        var delivered: [UInt64] = []
        var synced = 0
        while let frame = try await channel.readOutbound(as: Frame.self) {
            switch frame.body {
            case .deliver(let deliver): delivered.append(deliver.seq)
            case .synced: synced += 1
            default: Issue.record("Unexpected frame \(frame)")
            }
        }
        #expect(synced == 1)
        #expect(delivered == [pending, second, first].map { UInt64($0.seq) })

        // What the heartbeat reports as pending: pushed, not yet acknowledged, and nothing once the session ends.
        #expect(metrics.figures.mailboxPending == 3)
        await delivery.acknowledged([pending.seq])
        #expect(metrics.figures.mailboxPending == 2)
        await delivery.close()
        #expect(metrics.figures.mailboxPending == 0)
    }

    private func accept(in store: SQLiteStore, text: String) async throws -> MailboxEntry {
        let item = try Fastchat_V1_MailboxItem.with { $0.envelope = .with { $0.ciphertext = Data(text.utf8) } }.serializedData()
        let outcomes = try await store.accept([
            IncomingMessage(sender: "alice", messageID: UUID(), recipients: ["bob"], envelope: item)
        ])
        guard case .stored(let entries) = outcomes.first, let entry = entries.first else {
            throw ProtocolError(.internal, "not stored")
        }
        return entry
    }
}
