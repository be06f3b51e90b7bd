import FastChatProtocol
import FastChatStore
import Logging
import Metrics
import Synchronization

/// Group commit: items submitted while a transaction is running are written together in the next one, so the
/// store sees one transaction per batch instead of one per item. Outcomes are reported a batch at a time, in
/// submission order, after the batch is durable — only then may a sender be told ✓, a recipient be pushed the
/// message, or an acknowledgement be confirmed. Reporting a whole batch at once lets the reporter route it in one
/// go: one look-up per recipient and one forward per node for the batch, not for each of its messages.
///
/// When no batch is waiting, a batch is reported where it was written (for SQLite, the writer thread), as far as
/// that needs no wait: handing pushes and answers to the event loops that own their connections is one hop per loop,
/// and a pool thread woken for the report would be one more per batch, which is most of a message's cost at low
/// rates. What must wait (a store read, a node link not made yet), or the whole report when the next batch is already
/// queued, goes to a task that runs beside the next write, so the store is not idle meanwhile; the next batch's
/// report waits for it, which keeps reports in commit order and bounds what is held between the two.
///
/// The queue is behind a mutex, not in an actor: a connection's event loop queues a request without suspending
/// (`submitNow`), and only the commit loop ever waits on it.
final class GroupCommit<Item: Sendable, Outcome: Sendable, Ticket: Sendable>: Sendable {
    /// Writes one batch in one transaction, returning one outcome per item, in order.
    typealias Write = @Sendable ([Item]) async throws -> [Outcome]
    typealias Report = CommitReport<Item, Outcome, Ticket>
    /// Answers a written (or failed) batch, its reports in submission order, as far as it can without waiting;
    /// returns what is left (nil: nothing).
    typealias Reporter = @Sendable ([Report]) -> ReportRemainder?

    private struct Pending: Sendable {
        var item: Item
        var ticket: Ticket
        var weight: Int
    }

    private struct Queue {
        var pending: [Pending] = []
        /// The queued items' weights together.
        var weight = 0
        var finished = false
        var roomWaiters: [CheckedContinuation<Void, Never>] = []
        var workWaiter: CheckedContinuation<Void, Never>?
    }

    private let name: String
    private let write: Write
    /// How many rows an item writes (a group message, one per member): batches and the queue are bounded in rows,
    /// so that one transaction, and whatever waits for the store behind it (a heartbeat), stays short.
    private let weight: @Sendable (Item) -> Int
    private let maxBatchSize: Int
    private let storeErrors: Counter
    private let logger: Logger
    /// Submitters wait for room beyond this many queued rows, so a flood of requests backs up into the
    /// connections that send them (which are then not read) instead of into memory.
    private let maxQueued: Int
    /// Where the loop runs, writes and reports included (the store's `batchWriteExecutor`); what is left of a report
    /// runs on the global executor.
    private let executor: (any TaskExecutor)?
    private let queue = Mutex(Queue())

    /// `maxBatchSize`: rows per transaction, by `weight` (one per item if not given); a heavier item still goes,
    /// alone. `executor`: where the loop and its writes run (nil: anywhere).
    init(
        _ name: String, maxBatchSize: Int, storeErrors: Counter, logger: Logger,
        executor: (any TaskExecutor)? = nil, weight: @escaping @Sendable (Item) -> Int = { _ in 1 },
        write: @escaping Write
    ) {
        self.executor = executor
        self.name = name
        self.write = write
        self.weight = weight
        self.maxBatchSize = maxBatchSize
        self.storeErrors = storeErrors
        self.maxQueued = maxBatchSize * 8
        self.logger = logger
    }

    /// Queues `item` for the next batch if there is room now: its report (with `ticket`) comes once the batch is
    /// durable (or failed). False, with nothing queued, when the queue is full. After `finish()` the item is
    /// refused: it throws, and no report comes.
    func submitNow(_ item: Item, ticket: Ticket) throws -> Bool {
        let weight = max(1, self.weight(item))
        let (queued, finished, waiter) = queue.withLock { queue -> (Bool, Bool, CheckedContinuation<Void, Never>?) in
            guard !queue.finished else { return (false, true, nil) }
            guard queue.weight < maxQueued else { return (false, false, nil) }
            queue.pending.append(Pending(item: item, ticket: ticket, weight: weight))
            queue.weight += weight
            defer { queue.workWaiter = nil }
            return (true, false, queue.workWaiter)
        }
        if finished { throw ProtocolError(.unavailable, "The node is stopping.") }
        waiter?.resume()
        return queued
    }

    /// `submitNow`, waiting while the queue is full.
    func submit(_ item: Item, ticket: Ticket) async throws {
        while try !submitNow(item, ticket: ticket) {
            await withCheckedContinuation { waiter in
                let roomNow = queue.withLock { queue in
                    guard queue.weight >= maxQueued, !queue.finished else { return true }
                    queue.roomWaiters.append(waiter)
                    return false
                }
                if roomNow { waiter.resume() }
            }
        }
    }

    /// Ends `run()` once everything submitted so far is written and reported.
    func finish() {
        let waiters = queue.withLock { queue in
            queue.finished = true
            defer { (queue.workWaiter, queue.roomWaiters) = (nil, []) }
            return queue.roomWaiters + [queue.workWaiter].compactMap { $0 }
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Writes batches and hands each to `report` until `finish()`. The node runs it as a child task for as long as
    /// it serves.
    func run(reporting report: @escaping Reporter) async {
        await withTaskExecutorPreference(executor) {
            await withTaskGroup(of: Void.self) { reporting in
                var remainderUnderWay = false
                while let batch = await nextBatch() {
                    let results = await commit(batch)
                    // The last batch's remainder first: reports go out in commit order.
                    if remainderUnderWay { await reporting.next() }
                    let reports = zip(batch, results).map { Report(item: $0.item, ticket: $0.ticket, result: $1) }
                    // With the next batch waiting, the whole report goes off this thread, as a remainder does: a
                    // store's writer thread must be free for that batch.
                    let remainder: ReportRemainder? =
                        nextBatchWaiting ? { @Sendable in await report(reports)?() } : report(reports)
                    remainderUnderWay = remainder != nil
                    if let remainder {
                        reporting.addTask(executorPreference: globalConcurrentExecutor) { await remainder() }
                    }
                }
            }
        }
    }

    private var nextBatchWaiting: Bool {
        queue.withLock { !$0.pending.isEmpty }
    }

    private func nextBatch() async -> [Pending]? {
        while true {
            let (batch, finished, roomWaiters) = queue.withLock { queue -> ([Pending], Bool, [CheckedContinuation<Void, Never>]) in
                guard !queue.pending.isEmpty else { return ([], queue.finished, []) }
                var (count, rows) = (0, 0)
                for pending in queue.pending {
                    guard count == 0 || rows + pending.weight <= maxBatchSize else { break }
                    (count, rows) = (count + 1, rows + pending.weight)
                }
                let batch = Array(queue.pending.prefix(count))
                queue.pending.removeFirst(count)
                queue.weight -= rows
                defer { queue.roomWaiters = [] }
                return (batch, false, queue.roomWaiters)
            }
            for waiter in roomWaiters { waiter.resume() }
            if !batch.isEmpty { return batch }
            if finished { return nil }
            await withCheckedContinuation { waiter in
                let workNow = queue.withLock { queue in
                    guard queue.pending.isEmpty, !queue.finished else { return true }
                    queue.workWaiter = waiter
                    return false
                }
                if workNow { waiter.resume() }
            }
        }
    }

    private func commit(_ batch: [Pending]) async -> [Result<Outcome, any Error>] {
        do {
            let outcomes = try await write(batch.map(\.item))
            guard outcomes.count == batch.count else {
                throw ProtocolError(.internal, "The store reported \(outcomes.count) outcomes for \(batch.count) items.")
            }
            return outcomes.map { .success($0) }
        } catch {
            storeErrors.increment()
            logger.error("Writing a batch failed", metadata: ["batch": "\(name)", "items": "\(batch.count)", "error": "\(error)"])
            return batch.map { _ in .failure(error) }
        }
    }
}

/// What a commit report could not do without waiting (a store read, a node link not made yet): it runs off the
/// commit stage's thread, beside the next batch's write.
typealias ReportRemainder = @Sendable () async -> Void

/// One submitted item's outcome, with what its submitter handed in to be answered by (`Ticket`).
struct CommitReport<Item: Sendable, Outcome: Sendable, Ticket: Sendable>: Sendable {
    let item: Item
    let ticket: Ticket
    let result: Result<Outcome, any Error>
}
