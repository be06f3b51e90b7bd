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

/// Live entries committed by different nodes can reach the recipient's node out of seq order (node A commits
/// seq 3, node B seq 5, B's forward lands first). Both must be pushed at once; an early version used the last
/// pushed seq as a cursor and silently held back the late lower one until the next sign-in.
@Suite struct MailboxDeliveryTests {
    @Test func liveEntriesOutOfSeqOrderAreAllPushedOnce() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let store = scratch.store

        // One entry already pending at sign-in: the replay pushes it; a live copy of it must not come again.
        let pending = try await accept(in: store, text: "pending")
        let channel = NIOAsyncTestingChannel()
        let writer = try await FrameWriter.make(for: channel)
        let metrics = NodeMetrics(factory: NOOPMetricsHandler.instance)
        let delivery = MailboxDelivery(
            username: "bob", outbox: Outbox(writer: writer), loop: MultiThreadedEventLoopGroup.singleton.any(),
            store: store, pageSize: 2, metrics: metrics,
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

    /// A resync (another node asked this one to replay) re-reads the mailbox while the client acknowledges what the
    /// sign-in replay pushed: an entry read before its acknowledgement was stored and acknowledged before the page is
    /// pushed was once pushed again — delivered twice. Both replays of each entry here come out once.
    @Test func anEntryAcknowledgedWhileAResyncReadsIsNotPushedAgain() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.remove() }
        let first = try await accept(in: fixture.store, text: "first")
        let second = try await accept(in: fixture.store, text: "second")
        let delivery = fixture.gatedDelivery()
        await delivery.replay()

        // The resync reads both entries, and waits at the gate with them.
        await fixture.gate.close()
        async let resynced: Void = delivery.resync()
        await fixture.gate.waitUntilSomeoneWaits()
        _ = try await fixture.store.acknowledge(recipient: "bob", seqs: [first.seq])
        await delivery.acknowledged([first.seq])
        await fixture.gate.open()
        await resynced

        #expect(try await fixture.deliveredSeqs() == [first.seq, second.seq])
    }

    /// An entry committed just before the recipient signs in is both in the sign-in replay and routed live to the
    /// new session; when the route comes after the client has acknowledged the replayed copy, it once was pushed
    /// again (seen as a duplicate in the rolling-restart bench).
    @Test func aLiveCopyRoutedAfterTheReplayedOneWasAcknowledgedIsNotPushedAgain() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.remove() }
        let entry = try await accept(in: fixture.store, text: "just committed")
        let delivery = fixture.gatedDelivery()
        await delivery.replay()
        _ = try await fixture.store.acknowledge(recipient: "bob", seqs: [entry.seq])
        await delivery.acknowledged([entry.seq])
        await delivery.push([entry])
        let later = try await accept(in: fixture.store, text: "later")
        await delivery.push([later])

        #expect(try await fixture.deliveredSeqs() == [entry.seq, later.seq])
    }

    /// A draining node stops a user's pushes before it sends `Move`: a replay already under way must not push after
    /// that (the client would leave without acknowledging it, and the next node would push it again).
    @Test func nothingIsPushedAfterStopPushingEvenByAReplayUnderWay() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.remove() }
        let pending = try await accept(in: fixture.store, text: "pending")
        let delivery = fixture.gatedDelivery()
        await fixture.gate.close()
        async let replayed: Void = delivery.replay()
        await fixture.gate.waitUntilSomeoneWaits()
        await delivery.stopPushing()
        await fixture.gate.open()
        await replayed
        let live = try await accept(in: fixture.store, text: "live")
        await delivery.push([live])

        #expect(try await fixture.deliveredSeqs() == [])
        #expect(try await fixture.store.pending(for: "bob", afterSeq: 0, limit: 10).map(\.seq) == [pending.seq, live.seq])
    }

    /// A node taken for dead holds its users' live entries from before it registers again until the resync after
    /// their sessions are restored. Another node that sees it live again first may ask it to replay to a user whose
    /// session is not back yet, and leaves that user's entries in the mailbox meanwhile: the replay it asked for must
    /// not release the hold, or a live entry routed after the restore overtakes them (the bench counted such
    /// reorderings on an overloaded machine).
    @Test func aReplayWhileSessionsAreRestoredKeepsTheHoldForTheRestoredOne() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.remove() }
        let delivery = fixture.gatedDelivery()
        await delivery.replay()
        await delivery.hold(untilRestored: true)
        await delivery.resync()
        let leftInTheMailbox = try await accept(in: fixture.store, text: "routed to nowhere")
        let live = try await accept(in: fixture.store, text: "routed here once the session is back")
        await delivery.push([live])
        #expect(try await fixture.deliveredSeqs() == [], "nothing is pushed before the resync after the restore")
        await delivery.resync(restored: true)
        #expect(try await fixture.deliveredSeqs() == [leftInTheMailbox.seq, live.seq])
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

/// A real store in a scratch directory, a testing channel for bob's connection, and a gate between the delivery's
/// page reads and their use.
private final class DeliveryFixture: Sendable {
    let scratch: ScratchStore
    var store: SQLiteStore { scratch.store }
    let channel = NIOAsyncTestingChannel()
    let writer: FrameWriter
    let gate = Gate()

    init() async throws {
        scratch = try ScratchStore()
        writer = try await FrameWriter.make(for: channel)
    }

    /// Bob's delivery, reading its pages through the gate.
    func gatedDelivery() -> MailboxDelivery {
        let (store, gate) = (self.store, self.gate)
        return MailboxDelivery(
            username: "bob", outbox: Outbox(writer: writer), loop: MultiThreadedEventLoopGroup.singleton.any(),
            pageSize: 10,
            metrics: NodeMetrics(factory: NOOPMetricsHandler.instance), logger: Logger(label: "test")
        ) { afterSeq, limit in
            let page = try await store.pending(for: "bob", afterSeq: afterSeq, limit: limit)
            await gate.pass()
            return page
        }
    }

    /// The seqs of every `Deliver` written to the connection so far, in order.
    func deliveredSeqs() async throws -> [Int64] {
        await writer.flush()
        await channel.testingEventLoop.run()
        var delivered: [Int64] = []
        while let frame = try await channel.readOutbound(as: Frame.self) {
            if case .deliver(let deliver) = frame.body { delivered.append(Int64(deliver.seq)) }
        }
        return delivered
    }

    func remove() { scratch.remove() }
}
