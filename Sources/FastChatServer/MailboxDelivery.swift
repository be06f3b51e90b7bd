import FastChatProtocol
import FastChatStore
import Foundation
import Logging
import NIOCore

/// Pushes one signed-in user's mailbox to their connection, each entry once per session: first what was pending at
/// sign-in (read from the store page by page, in seq order), then what arrives live.
///
/// The entries pushed and not yet acknowledged are remembered by seq, so no source repeats another: live entries that
/// arrive during a replay wait and are then pushed unless the replay read them; and an acknowledged entry that may
/// still come again (a replay pushed it and its live copy is late) is remembered for a while
/// (`RecentAcknowledgements`). Live entries are pushed as they
/// come: entries committed by different nodes (or by concurrent PostgreSQL transactions) may arrive out of seq
/// order, and each must still be pushed. (Each sender's messages come from the node it is connected to, in its
/// commit order, so a conversation stays in order.)
///
/// A replay can run again mid-session (`resync`): when this node learns that live entries may have missed this
/// user (it was taken for dead, or another node could not forward to it), the mailbox is read again and what the
/// connection was never given is pushed, before any newer live entry.
///
/// Runs on its connection's event loop (the loop is the actor's executor): a live push from that loop, such as a
/// node link's forward, is handled there and then (`onTheirLoops`), and one from elsewhere (a commit report) costs one
/// hop to the loop, shared by every delivery on it, rather than an actor hop and then another to the loop.
actor MailboxDelivery {
    /// The connection's event loop, which runs this actor.
    nonisolated let loop: any EventLoop
    private nonisolated let executor: any SerialExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let username: String
    private let outbox: Outbox
    private let pageSize: Int
    private let framing: PushFraming
    private let metrics: NodeMetrics
    private let logger: Logger
    /// Pushed on this connection and not yet acknowledged.
    private var pushed: Set<Int64> = []
    /// Pushed by a replay and not yet acknowledged (some of `pushed`).
    private var replayed: Set<Int64> = []
    /// Acknowledged entries that may still come again: those a replay pushed, and those acknowledged while a
    /// replay runs.
    private var recentlyAcknowledged = RecentAcknowledgements()
    /// From the start of a replay to the end of pushing what was held back during it.
    private var catchingUp = false
    /// Live entries wait (in `waiting`) while this holds: from sign-in until the first replay ends, and from a
    /// `hold()` until the resync after it ends.
    private var holding = true
    private var replayRunning = false
    /// This node is registering again after it was taken for dead: live entries wait (`holding`) until the resync
    /// after its sessions are restored. Other nodes see it live before that, and may ask it to replay to a user
    /// then; for a user whose session is not back yet they leave entries in the mailbox. Released by that earlier
    /// replay, a live entry routed after the restore would overtake them.
    private var heldUntilRestored = false
    private var replayAgain = false
    private var waiting: [MailboxEntry] = []
    private var waitingBytes = 0
    /// The connection could not take everything (its outbound buffer reached the high-water mark): what was not
    /// pushed stays in the mailbox, and a resync reads it once the connection drains.
    private var behind = false
    /// The sign-in replay ended behind: `Synced` (which ends a `receive`) is said only once it has caught up.
    private var syncedOwed = false
    private var deliveredBeforeSynced = 0
    /// The session ended: nothing more is pushed, and nothing counts as pending any longer.
    private var closed = false
    /// The client was told to move: nothing more is pushed, though the session goes on until the client leaves.
    private var stopped = false

    /// Beyond this, live entries that arrive during a replay are dropped from memory (they are in the store) and
    /// the replay reads them instead.
    private static let maxWaitingBytes = 1 << 20
    /// Bytes written between two flushes, which put them in the connection's buffer.
    private static let flushEvery = 256 << 10

    /// Reads one page of the user's mailbox: the entries after a seq, at most a limit of them.
    typealias PageReader = @Sendable (_ afterSeq: Int64, _ limit: Int) async throws -> [MailboxEntry]
    private let readPage: PageReader

    /// `loop`: where the actor runs: the connection's event loop, where what it writes goes straight to the channel.
    /// (Tests may give another, so that their testing channel's loop need not be run for the actor's work to happen.)
    init(
        username: String, outbox: Outbox, loop: any EventLoop, store: any ChatStore, pageSize: Int,
        framing: PushFraming = .deliverEach, metrics: NodeMetrics, logger: Logger
    ) {
        self.init(
            username: username, outbox: outbox, loop: loop, pageSize: pageSize, framing: framing, metrics: metrics,
            logger: logger,
            readPage: { afterSeq, limit in try await store.pending(for: username, afterSeq: afterSeq, limit: limit) })
    }

    /// `readPage` instead of the store's `pending`: tests put themselves between a read and its use.
    init(
        username: String, outbox: Outbox, loop: any EventLoop, pageSize: Int, framing: PushFraming = .deliverEach,
        metrics: NodeMetrics, logger: Logger, readPage: @escaping PageReader
    ) {
        self.loop = loop
        // Kept: a loop that is no executor itself gives a new wrapper each time it is asked.
        self.executor = loop.executor
        self.username = username
        self.outbox = outbox
        self.readPage = readPage
        self.pageSize = pageSize
        self.framing = framing
        self.metrics = metrics
        self.logger = logger
    }

    /// Work for a delivery, handed to it on its loop without waiting.
    typealias Job = @Sendable (isolated MailboxDelivery) -> Void

    /// Runs `work` for each delivery on its event loop: at once for those on the caller's loop, and one hop to each
    /// other loop for all of its deliveries together. Each delivery's work runs in the order given, after whatever
    /// the same caller handed it before.
    static func onTheirLoops(_ work: [(delivery: MailboxDelivery, job: Job)]) {
        for (loop, work) in work.groupedByEventLoop(\.delivery.loop) {
            if loop.inEventLoop {
                for (delivery, job) in work { delivery.assumeIsolated(job) }
            } else {
                loop.execute {
                    for (delivery, job) in work { delivery.assumeIsolated(job) }
                }
            }
        }
    }

    func push(_ entries: [MailboxEntry]) {
        if holding {
            waiting.append(contentsOf: entries)
            waitingBytes += entries.reduce(0) { $0 + $1.byteCount }
            if waitingBytes > Self.maxWaitingBytes {
                waiting = []
                waitingBytes = 0
                replayAgain = true
            }
        } else if !behind {
            send(entries, live: true)
        }
    }

    /// Stored acknowledgements: those entries are gone from the store and need not be remembered.
    func acknowledged(_ seqs: [Int64]) {
        // Only seqs pushed here count: a client naming others must not make the node remember them.
        let now = ContinuousClock.now
        var removed = 0
        for seq in seqs where pushed.remove(seq) != nil {
            removed += 1
            if replayed.remove(seq) != nil || catchingUp { recentlyAcknowledged.remember(seq, at: now) }
        }
        metrics.figures.pendingChanged(by: -removed)
    }

    /// The session ended (signed out, or its connection closed).
    func close() {
        closed = true
        metrics.figures.pendingChanged(by: -pushed.count)
        pushed = []
        replayed = []
        recentlyAcknowledged.removeAll()
    }

    /// The sign-in replay: sends everything pending, then `Synced`. On a store failure the connection is told and
    /// keeps what it got; the rest stays in the mailbox for the next sign-in.
    func replay() async {
        deliveredBeforeSynced += await replayUntilCaughtUp()
        syncedOwed = true
        saySyncedIfCaughtUp()
    }

    /// Holds live entries until the next `resync` ends. `untilRestored`: taken before this node registers again
    /// after it was taken for dead, and released only by the resync after its sessions are restored
    /// (`resync(restored: true)`), not by one that runs meanwhile.
    func hold(untilRestored: Bool = false) {
        holding = true
        if untilRestored { heldUntilRestored = true }
    }

    /// The client is told to move (the node drains): from now on nothing is pushed on this connection, not even by a
    /// push or replay already under way; the next node's sign-in replays what stays in the mailbox. Called before
    /// `Move` is sent, so no entry follows it that the client would not acknowledge before it leaves.
    func stopPushing() {
        holding = true
        stopped = true
    }

    /// Pushes from the mailbox what this connection was not given, then what arrived meanwhile. `restored`: the
    /// resync after this node restored its sessions, which releases `hold(untilRestored:)`.
    func resync(restored: Bool = false) async {
        if restored { heldUntilRestored = false }
        guard !replayRunning else {
            replayAgain = true
            return
        }
        holding = true
        let caughtUp = await replayUntilCaughtUp()
        if syncedOwed {
            deliveredBeforeSynced += caughtUp
            saySyncedIfCaughtUp()
        } else if caughtUp > 0 {
            logger.notice("Pushed entries that had missed a live user", metadata: ["user": "\(username)", "entries": "\(caughtUp)"])
        }
    }

    /// The connection drained below its low-water mark: catch up with what it could not take.
    func drained() async {
        guard behind else { return }
        if replayRunning {
            // The running replay stopped (or will stop) at the mark: it goes round again.
            behind = false
            replayAgain = true
            return
        }
        await resync()
    }

    private func saySyncedIfCaughtUp() {
        guard syncedOwed, !behind, !replayRunning else { return }
        syncedOwed = false
        var synced = Fastchat_V1_Synced()
        synced.pendingDelivered = UInt64(deliveredBeforeSynced)
        outbox.sendNow(Frame(.synced(synced)))
    }

    private func replayUntilCaughtUp() async -> Int {
        replayRunning = true
        catchingUp = true
        var sent = 0
        repeat {
            replayAgain = false
            behind = false
            sent += await replayOnce()
        } while replayAgain && !behind
        replayRunning = false
        guard !heldUntilRestored else {
            // What arrived meanwhile keeps waiting for the resync that releases the hold.
            catchingUp = false
            return sent
        }
        holding = false
        let live = waiting.sorted { $0.seq < $1.seq }
        waiting = []
        waitingBytes = 0
        if !behind { send(live) }
        if !replayRunning { catchingUp = false }
        return sent
    }

    /// One pass over the whole mailbox, as far as the connection takes it; a complete pass forgets pushed seqs the
    /// store no longer holds (acknowledged meanwhile).
    private func replayOnce() async -> Int {
        var sent = 0
        var stored: Set<Int64> = []
        var cursor: Int64 = 0
        do {
            while !behind, !stopped {
                let page = try await readPage(cursor, pageSize)
                stored.formUnion(page.map(\.seq))
                sent += send(page, fromStore: true)
                cursor = page.last?.seq ?? cursor
                if page.count < pageSize {
                    if !behind {
                        let before = pushed.count
                        pushed.formIntersection(stored)
                        replayed.formIntersection(pushed)
                        metrics.figures.pendingChanged(by: pushed.count - before)
                    }
                    break
                }
            }
        } catch {
            logger.error("Replaying the mailbox failed", metadata: ["user": "\(username)", "error": "\(error)"])
            outbox.sendNow(.error(.unavailable, "Pending messages could not be read; they will be delivered later."))
        }
        return sent
    }

    /// Sends the entries not pushed yet, while the connection takes them; returns how many. At the high-water
    /// mark it stops: the rest stays in the mailbox until the connection drains (`drained`). `live`: entries just
    /// committed, whose time from commit to push is the push latency (a replay's may have waited for days).
    /// `fromStore`: a replay's page (the same entry may also be routed here live, late).
    ///
    /// Written to the channel now (this runs on its loop), and flushed every `flushEvery` bytes: what the TLS
    /// handler holds until a flush is not in the channel's buffer, whose size says whether there is room. On a
    /// version-2 connection the entries go out in `Deliveries` frames, their stored bytes unparsed.
    @discardableResult
    private func send(_ entries: [MailboxEntry], live: Bool = false, fromStore: Bool = false) -> Int {
        guard !closed, !stopped else { return 0 }
        var (sent, unflushed) = (0, 0)
        var batch: DeliveriesBatch? =
            if case .deliveries(let maxFrameBytes) = framing { DeliveriesBatch(maxFrameBytes: maxFrameBytes) } else { nil }
        let now = live ? Date() : nil
        defer {
            if let frame = batch?.take() { outbox.sendNow(frame) }
            metrics.messagesDelivered.increment(by: sent)
        }
        for entry in entries {
            if unflushed >= Self.flushEvery {
                if let frame = batch?.take() { outbox.sendNow(frame) }
                outbox.flushNow()
                unflushed = 0
            }
            guard !pushed.contains(entry.seq), !recentlyAcknowledged.contains(entry.seq) else { continue }
            guard outbox.isWritable else {
                behind = true
                break
            }
            guard let seq = UInt64(exactly: entry.seq) else {
                logger.error("Unreadable mailbox entry", metadata: ["seq": "\(entry.seq)"])
                continue
            }
            let (item, storedAtMs) = (entry.envelope, entry.storedAt.wireMillis)
            if batch != nil {
                if let full = batch?.add(seq: seq, item: item, storedAtMs: storedAtMs) { outbox.sendNow(full) }
            } else if let deliver = Fastchat_V1_Deliver(seq: seq, item: item, storedAtMs: storedAtMs) {
                outbox.sendNow(Frame(.deliver(deliver)))
            } else {
                logger.error("Unreadable mailbox entry", metadata: ["seq": "\(entry.seq)"])
                continue
            }
            pushed.insert(entry.seq)
            if fromStore { replayed.insert(entry.seq) }
            metrics.figures.pendingChanged(by: 1)
            unflushed += entry.byteCount
            sent += 1
            if let now {
                // A forwarded entry may be stamped centuries ago (a peer's clock, a made-up stamp): beyond the
                // 292 years that Int64 nanoseconds hold, the latency is recorded as the most there is.
                let waited = (max(0, now.timeIntervalSince(entry.storedAt)) * 1e9).rounded(.down)
                metrics.pushLatency.recordNanoseconds(Int64(exactly: waited) ?? .max)
            }
        }
        return sent
    }
}
