import NIOCore
import Synchronization

/// Whether a connection's peer keeps up with what the node writes to it. Above the outbound high-water mark the
/// node stops reading the connection's requests and pauses its pushes (the entries wait in the mailbox), and
/// resumes both once the peer has drained below the low mark; a peer stuck above the mark for `stuckAfter` is
/// disconnected (`WritabilityWatch`).
actor OutboundFlow {
    private let outbox: Outbox
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var delivery: MailboxDelivery?
    private var closed = false

    init(outbox: Outbox) {
        self.outbox = outbox
    }

    /// The signed-in user's pushes, resumed when the connection drains.
    func attach(_ delivery: MailboxDelivery?) {
        self.delivery = delivery
    }

    /// Returns at once while the connection is writable (or closed); otherwise once it drained.
    func waitUntilWritable() async {
        guard !outbox.isWritable, !closed else { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Called when the channel became writable (the channel's state counts, not the order of the calls).
    func becameWritable() async {
        guard outbox.isWritable else { return }
        let resumed = waiters
        waiters = []
        for waiter in resumed { waiter.resume() }
        await delivery?.drained()
    }

    /// The connection closed: nobody waits for it any longer.
    func close() {
        closed = true
        let resumed = waiters
        waiters = []
        for waiter in resumed { waiter.resume() }
    }
}

/// Closes a channel that stays unwritable for `stuckAfter` (a peer that stopped reading). Also records the most bytes
/// any connection had queued (`OutboundPeak`). (`ConnectionInbound` tells the connection when it became writable.)
final class WritabilityWatch: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private let stuckAfter: TimeAmount
    private let peak: OutboundPeak
    private var stuck: Scheduled<Void>?

    init(stuckAfter: Duration, peak: OutboundPeak) {
        self.stuckAfter = TimeAmount(stuckAfter)
        self.peak = peak
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        if let queued = try? context.channel.syncOptions?.getOption(.bufferedWritableBytes) {
            peak.record(queued)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        stuck?.cancel()
        stuck = nil
        if !context.channel.isWritable {
            stuck = context.eventLoop.assumeIsolated().scheduleTask(in: stuckAfter) {
                context.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stuck?.cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stuck?.cancel()
    }
}

/// The most bytes one connection of this node had queued for its peer, as the channel counted them.
public final class OutboundPeak: Sendable {
    private let bytes = Atomic<Int>(0)

    init() {}

    func record(_ queued: Int) {
        var current = bytes.load(ordering: .relaxed)
        while queued > current {
            let (exchanged, original) = bytes.compareExchange(expected: current, desired: queued, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    public var value: Int { bytes.load(ordering: .relaxed) }
}
