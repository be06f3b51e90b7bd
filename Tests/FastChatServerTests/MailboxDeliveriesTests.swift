import FastChatProtocol
@testable import FastChatServer
import FastChatStore
import Foundation
import Logging
import Metrics
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

/// A version-2 connection gets its entries in `Deliveries` frames, each stored item as it is, with the same
/// bookkeeping as one `Deliver` each.
@Suite struct MailboxDeliveriesTests {
    /// The node no longer parses what it pushes: an item that does not parse goes out as stored (the client rejects
    /// and acknowledges it), where a version-1 push skips it.
    @Test func aReplayPushesEveryEntryAsStoredInOneFrame() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let items = [try Self.item("one"), Data([0xFF, 0xFF]), try Self.item("three")]
        let entries = try await Self.accept(items, in: scratch.store)

        let v2 = try await Self.pushes(of: scratch.store, framing: .deliveries(maxFrameBytes: Wire.defaultMaxFrameBytes))
        #expect(v2.frames.count == 2)
        guard case .deliveries(let deliveries) = v2.frames.first?.body else {
            Issue.record("The replay pushed \(v2.frames)")
            return
        }
        #expect(deliveries.entries.map(\.item) == items)
        #expect(deliveries.entries.map(\.seq) == entries.map { UInt64($0.seq) })
        #expect(deliveries.entries.map(\.storedAtMs) == entries.map(\.storedAt.wireMillis))
        #expect(v2.frames.last?.body == .synced(.with { $0.pendingDelivered = 3 }))
        #expect(v2.pending == 3)

        let v1 = try await Self.pushes(of: scratch.store, framing: .deliverEach)
        let delivered = v1.frames.compactMap { frame -> UInt64? in
            if case .deliver(let deliver) = frame.body { return deliver.seq }
            return nil
        }
        #expect(delivered == [entries[0], entries[2]].map { UInt64($0.seq) })
        #expect(v1.pending == 2)
    }

    /// More than a frame holds: several frames, each under the limit, the entries in seq order, none twice.
    @Test func entriesBeyondTheFrameLimitGoInSeveralFrames() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let limit = 8192
        let items = (0..<12).map { Data(repeating: UInt8($0), count: $0 % 3 == 0 ? limit - Wire.pushOverhead : 500) }
        let entries = try await Self.accept(items, in: scratch.store)

        let pushed = try await Self.pushes(of: scratch.store, framing: .deliveries(maxFrameBytes: limit))
        var seqs: [UInt64] = []
        for frame in pushed.frames.dropLast() {
            #expect(try frame.serializedData().count <= limit)
            guard case .deliveries(let deliveries) = frame.body else {
                Issue.record("Unexpected frame \(frame)")
                continue
            }
            seqs += deliveries.entries.map(\.seq)
        }
        #expect(pushed.frames.count > 2)
        #expect(seqs == entries.map { UInt64($0.seq) })
        #expect(pushed.pending == items.count)
    }

    /// Replays `bob`'s mailbox to a fresh connection with `framing`: the frames written, and how many entries count
    /// as pushed and not acknowledged.
    private static func pushes(of store: SQLiteStore, framing: PushFraming) async throws -> (frames: [Frame], pending: Int) {
        let channel = NIOAsyncTestingChannel()
        let writer = try await FrameWriter.make(for: channel)
        let metrics = NodeMetrics(factory: NOOPMetricsHandler.instance)
        let delivery = MailboxDelivery(
            username: "bob", outbox: Outbox(writer: writer), loop: MultiThreadedEventLoopGroup.singleton.any(),
            store: store, pageSize: 100, framing: framing,
            metrics: metrics, logger: Logger(label: "test"))
        await delivery.replay()
        await writer.flush()
        await channel.testingEventLoop.run()
        var frames: [Frame] = []
        while let frame = try await channel.readOutbound(as: Frame.self) {
            frames.append(frame)
        }
        let pending = metrics.figures.mailboxPending
        await delivery.close()
        return (frames, pending)
    }

    private static func item(_ text: String) throws -> Data {
        try Fastchat_V1_MailboxItem.with { $0.envelope = .with { $0.ciphertext = Data(text.utf8) } }.serializedData()
    }

    private static func accept(_ items: [Data], in store: SQLiteStore) async throws -> [MailboxEntry] {
        var entries: [MailboxEntry] = []
        for item in items {
            let outcomes = try await store.accept([
                IncomingMessage(sender: "alice", messageID: UUID(), recipients: ["bob"], envelope: item)
            ])
            guard case .stored(let stored) = outcomes.first, let entry = stored.first else {
                throw ProtocolError(.internal, "not stored")
            }
            entries.append(entry)
        }
        return entries
    }
}
