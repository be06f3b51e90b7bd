import Metrics
import FastChatStore
import Logging

/// Group commit: items submitted while a transaction is running are written together in the next one, so the
/// store sees one transaction per batch instead of one per item. Outcomes are reported in submission order,
/// after the batch is durable — only then may a sender be told ✓, a recipient be pushed the message, or an
/// acknowledgement be confirmed.
actor GroupCommit<Item: Sendable, Outcome: Sendable> {
    typealias Completion = @Sendable (Result<Outcome, any Error>) async -> Void
    /// Writes one batch in one transaction, returning one outcome per item, in order.
    typealias Write = @Sendable ([Item]) async throws -> [Outcome]

    private struct Pending {
        var item: Item
        var completion: Completion
    }

    private let name: String
    private let write: Write
    private let maxBatchSize: Int
    private let metrics: CommitMetrics
    private let storeErrors: Counter
    private let logger: Logger
    private var queue: [Pending] = []
    /// Submitters wait for room beyond this many queued items, so a flood of requests backs up into the
    /// connections that send them (which are then not read) instead of into memory.
    private let maxQueued: Int
    private var roomWaiters: [CheckedContinuation<Void, Never>] = []
    private var draining = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    init(
        _ name: String, maxBatchSize: Int, metrics: CommitMetrics, storeErrors: Counter, logger: Logger,
        write: @escaping Write
    ) {
        self.name = name
        self.write = write
        self.maxBatchSize = maxBatchSize
        self.metrics = metrics
        self.storeErrors = storeErrors
        self.maxQueued = maxBatchSize * 8
        self.logger = logger
    }

    func submit(_ item: Item, completion: @escaping Completion) async {
        while queue.count >= maxQueued {
            await withCheckedContinuation { roomWaiters.append($0) }
        }
        queue.append(Pending(item: item, completion: completion))
        if !draining {
            draining = true
            Task { await drain() }
        }
    }

    /// Returns once everything submitted so far is written and reported (used by graceful shutdown).
    func waitUntilIdle() async {
        if !draining { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func drain() async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(maxBatchSize))
            queue.removeFirst(batch.count)
            let waiters = roomWaiters
            roomWaiters = []
            for waiter in waiters { waiter.resume() }
            metrics.batchSize.record(batch.count)
            let started = ContinuousClock.now
            do {
                let outcomes = try await write(batch.map(\.item))
                metrics.duration.record(duration: ContinuousClock.now - started)
                for (pending, outcome) in zip(batch, outcomes) {
                    await pending.completion(.success(outcome))
                }
            } catch {
                storeErrors.increment()
                logger.error("Writing a batch failed", metadata: ["batch": "\(name)", "items": "\(batch.count)", "error": "\(error)"])
                for pending in batch {
                    await pending.completion(.failure(error))
                }
            }
        }
        draining = false
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }
}

typealias MailboxWriter = GroupCommit<IncomingMessage, AcceptOutcome>
typealias AckWriter = GroupCommit<Acknowledgement, [MailboxEntry]>
