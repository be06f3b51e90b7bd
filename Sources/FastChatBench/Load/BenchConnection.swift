import FastChatClient
import FastChatProtocol
import NIOCore
import NIOPosix

/// One simulated client's connection. It lives on its channel's event loop: requests are paired with replies by id,
/// messages are written without waiting, and deliveries are counted by the loop's `LoopLoad` and acknowledged in
/// batches. The async setup steps reach it through `BenchChannel`.
final class BenchConnection: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    private let load: LoopLoad
    private var context: ChannelHandlerContext?
    private var waiting: [UInt64: EventLoopPromise<Frame.OneOf_Body>] = [:]
    private var nextRequestID: UInt64 = 1
    private var pendingAcks: [UInt64] = []
    private var needsFlush = false
    /// Whether the loop has this connection on its list of ones to flush.
    private var listed = false
    /// This recipient's view of every sender's sequence: duplicates and reordering are judged per recipient.
    /// A slow reader's tracker moves to its new connection when it signs in again, so a copy the old one received is
    /// still a duplicate on the new one.
    var tracker = DeliveryTracker()
    /// False for a `--slow-readers` reader: its copies arrive late on purpose and do not count as latency.
    var timed = true

    /// Set once signed in.
    var user: BenchUser?
    var nodeName = ""
    /// The node speaks protocol version 3: acks go under request id 0 and are answered only if they fail, but for
    /// the last ones before a move, which must be done before the client signs in elsewhere.
    var quietAcks = false
    /// The next message's place in this sender's sequence.
    var sequence: UInt32 = 0
    /// What this client sends: a pre-sealed envelope whose id is replaced per message, or a sealer for `--crypto`.
    var outgoing: OutgoingMessages?
    /// Sends and acks written whose answer has not come yet, by request id: what each was and when it was written
    /// (uptime nanoseconds).
    private var unanswered: [UInt64: (isAck: Bool, writtenNanos: UInt64)] = [:]
    /// Told the loop it can move: once only, though acks written while moving may empty `unanswered` again.
    private var readyToMove = false
    /// Its node is draining (`Move`): it sends nothing more, and once everything it wrote is answered the generator
    /// replaces it with a connection through the balancer, as a real client moves.
    private(set) var moving = false
    /// Closed on purpose (it moved): not a lost connection.
    var leaving = false

    init(load: LoopLoad) {
        self.load = load
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let body = frame.body else { return }
        if frame.requestID != 0, let promise = waiting.removeValue(forKey: frame.requestID) {
            if case .error(let error) = body {
                promise.fail(ProtocolError(error))
            } else {
                promise.succeed(body)
            }
            return
        }
        // An answer to a request given up on (it counted as unanswered) counts no more.
        if frame.requestID != 0, let request = unanswered.removeValue(forKey: frame.requestID) {
            if case .error(let error) = body {
                load.failed(request.isAck ? .ackRefused(error.code) : .refused(error.code))
            }
            moveIfAnswered()
        }
        switch body {
        case .move:
            guard !moving else { break }
            moving = true
            // Quiet acks written before are done once an answered one is: it goes even with nothing to ack.
            if quietAcks { writeAck() }
            _ = flush(acknowledging: true)
            moveIfAnswered()
        case .deliver(let deliver):
            received(deliver)
        case .deliveries(let deliveries):
            // Protocol version 2: each entry counts as the same Deliver, in order; an unreadable one is acked as a
            // Deliver without a stamp is.
            for delivery in deliveries.entries {
                received(Fastchat_V1_Deliver(delivery) ?? .with { $0.seq = delivery.seq })
            }
        case .accepted(let accepted):
            load.accepted(accepted.messageID, copies: outgoing?.copies ?? 1)
        case .acceptedSends(let batch):
            // Protocol version 5: each entry answers the send of its request id, as an `Accepted` does above.
            for send in batch.sends {
                unanswered.removeValue(forKey: send.requestID)
                load.accepted(send.messageID, copies: outgoing?.copies ?? 1)
            }
            moveIfAnswered()
        case .error(let error) where frame.requestID == 0 && quietAcks:
            load.failed(.ackRefused(error.code))  // a quiet ack's failure
        default:
            break  // receipts, acks' Ok, Synced, errors (counted above)
        }
    }

    private func received(_ deliver: Fastchat_V1_Deliver) {
        pendingAcks.append(deliver.seq)
        listForFlush()
        if let user, let stamp = MessageStamp(bytes: deliver.envelope.messageID) {
            let verdict = tracker.received(sender: stamp.sender, sequence: UInt64(stamp.sequence))
            load.delivered(deliver, stamp: stamp, verdict: verdict, to: user, timed: timed)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let reason = ProtocolError(.unavailable, "The connection to \(nodeName) was closed.")
        let pending = waiting
        waiting = [:]
        for promise in pending.values { promise.fail(reason) }
        if user != nil, !leaving {
            load.failed(!moving ? .connectionLost : readyToMove ? .closedAwaitingMove : .closedWhileMoving)
        }
        // Counted with the connection: none of them is given up on later.
        unanswered = [:]
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func request(_ body: Frame.OneOf_Body) -> EventLoopFuture<Frame.OneOf_Body> {
        guard let context else {
            return load.eventLoop.makeFailedFuture(ProtocolError(.internal, "Not connected."))
        }
        let promise = context.eventLoop.makePromise(of: Frame.OneOf_Body.self)
        let id = takeRequestID()
        waiting[id] = promise
        context.writeAndFlush(wrapOutboundOut(Frame(requestID: id, body)), promise: nil)
        // A node that never answers (a stalled or stopping one) must fail the step, not hang the bench.
        let timeout = context.eventLoop.assumeIsolated().scheduleTask(in: Self.answerTimeout) { [weak self] in
            guard let self, let promise = waiting.removeValue(forKey: id) else { return }
            let node = nodeName.isEmpty ? "The node" : "Node \(nodeName)"
            promise.fail(ProtocolError(
                .unavailable, "\(node) did not answer within \(Self.answerTimeout.nanoseconds / 1_000_000_000) s."))
        }
        promise.futureResult.whenComplete { _ in timeout.cancel() }
        return promise.futureResult
    }

    static let answerTimeout = TimeAmount.seconds(20)

    /// Writes the next message without flushing; `flush()` sends everything written since.
    func sendNext(intendedNanos: UInt64) {
        guard let context, let user, let outgoing, !moving else { return }
        let stamp = MessageStamp(sender: user.index, sequence: sequence, intendedNanos: intendedNanos)
        sequence &+= 1
        guard let envelope = outgoing.envelope(stamped: stamp, from: user) else {
            load.failed(.sealFailed)
            return
        }
        load.sent(stamp)
        let id = takeRequestID()
        unanswered[id] = (false, NIODeadline.now().uptimeNanoseconds)
        context.write(wrapOutboundOut(Frame(requestID: id, .send(.with { $0.envelope = envelope }))), promise: nil)
        needsFlush = true
        listForFlush()
    }

    private func listForFlush() {
        guard !listed else { return }
        listed = true
        load.needsFlush(self)
    }

    /// Flushes what was written; with `acknowledging`, first acks everything that arrived since the last ack (one
    /// Ack for all of it). Returns whether acks are still waiting, so the loop keeps the connection listed.
    func flush(acknowledging: Bool) -> Bool {
        listed = false
        guard let context else { return false }
        if acknowledging, !pendingAcks.isEmpty { writeAck() }
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        listed = !pendingAcks.isEmpty
        return listed
    }

    /// Acks everything that arrived since the last ack, in one `Ack`: quietly unless moving.
    private func writeAck() {
        guard let context else { return }
        let seqs = pendingAcks
        pendingAcks.removeAll(keepingCapacity: true)
        var id: UInt64 = 0
        if !quietAcks || moving {
            id = takeRequestID()
            unanswered[id] = (true, NIODeadline.now().uptimeNanoseconds)
        }
        context.write(wrapOutboundOut(Frame(requestID: id, .ack(.with { $0.seqs = seqs }))), promise: nil)
        needsFlush = true
    }

    /// Counts the sends and acks written more than `answerTimeout` before `now` and still unanswered as client errors,
    /// and stops waiting for them: a moving client then moves, as a real one would after its answer timeout.
    func giveUpUnanswered(now: UInt64) {
        let limit = UInt64(Self.answerTimeout.nanoseconds)
        let expired = unanswered.filter { now > $0.value.writtenNanos && now - $0.value.writtenNanos > limit }
        guard !expired.isEmpty else { return }
        for (id, request) in expired {
            unanswered.removeValue(forKey: id)
            load.failed(request.isAck ? .ackNoAnswer : .noAnswer)
        }
        moveIfAnswered()
    }

    private func moveIfAnswered() {
        guard moving, unanswered.isEmpty, !readyToMove else { return }
        readyToMove = true
        load.readyToMove(self)
    }

    private func takeRequestID() -> UInt64 {
        defer { nextRequestID += 1 }
        return nextRequestID
    }
}
