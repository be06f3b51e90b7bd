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

/// A delivery runs on its connection's event loop: live entries handed to it there are pushed there and then, and work
/// handed to it from elsewhere arrives in the order given.
@Suite struct LiveDeliveryTests {
    @Test func aPushHandedOverOnTheLoopIsSentThereAndThen() async throws {
        let fixture = try await LiveFixture()
        let entries = [fixture.entry(seq: 1, bytes: 100), fixture.entry(seq: 2, bytes: 100)]
        let (delivery, metrics) = (fixture.delivery, fixture.metrics)
        let push: MailboxDelivery.Job = { delivery in delivery.push(entries) }
        let pendingRightAfter = try await fixture.loop.submit {
            MailboxDelivery.onTheirLoops([(delivery, push)])
            return metrics.figures.mailboxPending
        }.get()
        #expect(pendingRightAfter == 2)
        #expect(try await fixture.deliveredSeqs() == [1, 2])
    }

    /// From another thread (a commit report) the work for one loop's deliveries goes in one hop per call, each
    /// delivery's in the order given, and after what earlier calls handed over.
    @Test func workFromElsewhereArrivesInTheOrderGiven() async throws {
        let bob = try await LiveFixture()
        let carol = try await LiveFixture(loop: bob.loop)
        let entries = (1...3).map { bob.entry(seq: Int64($0), bytes: 100) }
        let (first, last) = (Array(entries[0...1]), [entries[2]])
        let work: [(delivery: MailboxDelivery, job: MailboxDelivery.Job)] = [
            (bob.delivery, { delivery in delivery.push(first) }),
            (carol.delivery, { delivery in delivery.push(last) }),
        ]
        MailboxDelivery.onTheirLoops(work)
        let (pushLast, acknowledge): (MailboxDelivery.Job, MailboxDelivery.Job) = (
            { delivery in delivery.push(last) }, { delivery in delivery.acknowledged([1, 3]) }
        )
        MailboxDelivery.onTheirLoops([(bob.delivery, pushLast)])
        MailboxDelivery.onTheirLoops([(bob.delivery, acknowledge)])
        // Queued behind the work above.
        try await bob.loop.submit {}.get()
        #expect(bob.metrics.figures.mailboxPending == 1)
        #expect(try await bob.deliveredSeqs() == [1, 2, 3])
        #expect(try await carol.deliveredSeqs() == [3])
    }
}

/// Bob's delivery on a real event loop, signed in with an empty mailbox, writing to a testing channel in version-2
/// framing.
private final class LiveFixture: Sendable {
    let loop: any EventLoop
    let channel = NIOAsyncTestingChannel()
    let writer: FrameWriter
    let metrics = NodeMetrics(factory: NOOPMetricsHandler.instance)
    let delivery: MailboxDelivery

    init(loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()) async throws {
        self.loop = loop
        writer = try await FrameWriter.make(for: channel)
        delivery = MailboxDelivery(
            username: "bob", outbox: Outbox(writer: writer), loop: loop, pageSize: 10,
            framing: .deliveries(maxFrameBytes: Wire.defaultMaxFrameBytes), metrics: metrics,
            logger: Logger(label: "test"), readPage: { _, _ in [] })
        await delivery.replay()
    }

    func entry(seq: Int64, bytes: Int) -> MailboxEntry {
        MailboxEntry(
            seq: seq, recipient: "bob", sender: "alice", messageID: UUID(),
            envelope: Data(repeating: UInt8(truncatingIfNeeded: seq), count: bytes), storedAt: Date())
    }

    /// The seqs of every entry pushed so far, in order.
    func deliveredSeqs() async throws -> [Int64] {
        await writer.flush()
        await channel.testingEventLoop.run()
        var seqs: [Int64] = []
        while let frame = try await channel.readOutbound(as: Frame.self) {
            if case .deliveries(let deliveries) = frame.body { seqs += deliveries.entries.map { Int64($0.seq) } }
        }
        return seqs
    }
}
