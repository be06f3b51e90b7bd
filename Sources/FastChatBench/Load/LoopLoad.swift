import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation
import NIOCore

/// The clients on one event loop, their send schedule and what they measured. Everything here runs on that loop,
/// so counting a delivery costs no synchronisation; the generator reads merged snapshots now and then.
final class LoopLoad {
    /// Acks are batched: a real client acknowledges what it has shown, not each frame as it lands.
    static let ackInterval: UInt64 = 10_000_000
    /// How often sends and acks waiting too long for their answer are given up (`BenchConnection.answerTimeout`).
    static let answerCheckInterval: UInt64 = 1_000_000_000

    let eventLoop: any EventLoop
    /// Public keys by user index, to open and verify every message with `--crypto`; nil: count without opening.
    private let directory: [PublicIdentity]?
    /// The connections that send, in turn, on this loop's schedule.
    private(set) var connections: [BenchConnection] = []
    /// `--slow-readers`: connections that only receive (and only once they read again); counted, never scheduled.
    private(set) var readers: [BenchConnection] = []
    /// Connections with writes or acks waiting for the next tick.
    private var toFlush: [BenchConnection] = []
    private var counters = LoadCounters()
    /// Scheduled send times (uptime nanoseconds) of the messages being measured.
    private var window: Range<UInt64> = 0..<0
    private var schedule: (start: UInt64, nanosPerMessage: Double, issued: UInt64)?
    private var cursor = 0
    private var ticker: RepeatedTask?
    private var lastAckFlush: UInt64 = 0
    private var lastAnswerCheck: UInt64 = 0

    init(eventLoop: any EventLoop, directory: [PublicIdentity]?) {
        self.eventLoop = eventLoop
        self.directory = directory
    }

    func add(_ connection: BenchConnection) {
        connections.append(connection)
    }

    func addReader(_ connection: BenchConnection) {
        readers.append(connection)
    }

    /// A reader's connection was replaced by a new one (signed in again): only the new one is counted from now on.
    func replaceReader(_ old: BenchConnection, with new: BenchConnection) {
        readers.removeAll { $0 === old }
        readers.append(new)
    }

    /// A connection that moved (its node drained) was replaced: the new one takes its turn on the schedule.
    func replace(_ old: BenchConnection, with new: BenchConnection) {
        if let index = connections.firstIndex(where: { $0 === old }) {
            connections[index] = new
        } else {
            replaceReader(old, with: new)
        }
    }

    /// Users (by index) whose connection has moving to do: their node is draining and all they wrote is answered.
    private var movers: [UInt32] = []

    func readyToMove(_ connection: BenchConnection) {
        if let user = connection.user { movers.append(user.index) }
    }

    func takeMovers() -> [UInt32] {
        defer { movers.removeAll() }
        return movers
    }

    // MARK: Schedule

    /// Sends `ratePerSecond` messages per second from this loop's clients in turn, until `stopSending`.
    func startSending(ratePerSecond: Double, startNanos: UInt64) {
        schedule = ratePerSecond > 0 ? (startNanos, 1e9 / ratePerSecond, 0) : nil
        // As fine as the rate needs (a message per tick), within what timers do well.
        let interval = ratePerSecond > 0 ? Int64(1e9 / ratePerSecond) : 1_000_000
        restartTicker(every: .nanoseconds(min(1_000_000, max(50_000, interval))))
    }

    func stopSending() {
        schedule = nil
        restartTicker(every: .milliseconds(1))
    }

    func measure(_ window: Range<UInt64>) {
        self.window = window
        counters = LoadCounters()
    }

    func stop() {
        ticker?.cancel()
        ticker = nil
    }

    var snapshot: LoadCounters {
        var snapshot = counters
        for connection in connections + readers { snapshot.tracker.merge(connection.tracker) }
        return snapshot
    }

    private func restartTicker(every interval: TimeAmount) {
        ticker?.cancel()
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        ticker = eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { _ in bound.value.tick() }
    }

    private func tick() {
        let now = NIODeadline.now().uptimeNanoseconds
        if var schedule, !connections.isEmpty, now >= schedule.start {
            let due = UInt64(Double(now - schedule.start) / schedule.nanosPerMessage) + 1
            while schedule.issued < due {
                let intended = schedule.start + UInt64(Double(schedule.issued) * schedule.nanosPerMessage)
                connections[cursor].sendNext(intendedNanos: intended)
                cursor = (cursor + 1) % connections.count
                schedule.issued += 1
            }
            self.schedule = schedule
        }
        if now - lastAnswerCheck >= Self.answerCheckInterval {
            lastAnswerCheck = now
            // Readers are left out: while they do not read, no answer can reach them.
            for connection in connections { connection.giveUpUnanswered(now: now) }
        }
        let acks = now - lastAckFlush >= Self.ackInterval
        if acks { lastAckFlush = now }
        let listed = toFlush
        toFlush.removeAll(keepingCapacity: true)
        for connection in listed where connection.flush(acknowledging: acks) {
            toFlush.append(connection)
        }
    }

    func needsFlush(_ connection: BenchConnection) {
        toFlush.append(connection)
    }

    // MARK: Events from the connections

    func sent(_ stamp: MessageStamp) {
        counters.sent += 1
        if window.contains(stamp.intendedNanos) { counters.sentInWindow += 1 }
    }

    func accepted(_ messageID: Data, copies: Int) {
        guard let stamp = MessageStamp(bytes: messageID), window.contains(stamp.intendedNanos) else { return }
        counters.expectedCopies += UInt64(copies)
    }

    /// A client error: a send or ack refused or unanswered, or a connection lost.
    func failed(_ cause: ClientErrorCause) {
        counters.errors.count(cause)
    }

    /// Counts one delivered copy; the connection's tracker has already judged it new, duplicate or reordered.
    /// `timed`: false for a slow reader, whose copies arrive late on purpose; latency is that of the other users.
    func delivered(
        _ deliver: Fastchat_V1_Deliver, stamp: MessageStamp, verdict: DeliveryTracker.Verdict, to user: BenchUser,
        timed: Bool
    ) {
        let now = NIODeadline.now().uptimeNanoseconds
        counters.deliveredTotal += 1
        if window.contains(now) { counters.receivedDuringWindow += 1 }
        if let directory, !opens(deliver.envelope, from: directory[Int(stamp.sender)], to: user) {
            counters.undecryptable += 1
        }
        guard verdict != .duplicate, window.contains(stamp.intendedNanos) else { return }
        counters.deliveredInWindow += 1
        guard timed else { return }
        counters.latency.record(nanoseconds: now > stamp.intendedNanos ? now - stamp.intendedNanos : 0)
    }

    private func opens(_ envelope: Envelope, from sender: PublicIdentity, to user: BenchUser) -> Bool {
        if envelope.group.isEmpty {
            guard let sealed = try? SealedEnvelope(envelope) else { return false }
            return (try? EnvelopeCrypto.open(
                sealed, recipient: user.username, recipientIdentity: user.identity, senderKey: sender)) != nil
        }
        guard let sealed = try? SealedGroupEnvelope(envelope) else { return false }
        return (try? GroupEnvelopeCrypto.open(
            sealed, recipient: user.username, recipientIdentity: user.identity, senderKey: sender)) != nil
    }
}
