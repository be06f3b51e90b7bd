import FastChatStore
import Logging

/// Group commit: messages submitted while a transaction is running are written together in the next one, so the
/// store sees one transaction per batch instead of one per message. Outcomes are reported in submission order,
/// after the batch is durable — only then may a sender be told ✓ and a recipient be pushed the message.
actor MailboxWriter {
    typealias Completion = @Sendable (Result<AcceptOutcome, any Error>) async -> Void

    private struct Pending {
        var message: IncomingMessage
        var completion: Completion
    }

    private let store: any ChatStore
    private let maxBatchSize: Int
    private let logger: Logger
    private var queue: [Pending] = []
    private var draining = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    init(store: any ChatStore, maxBatchSize: Int, logger: Logger) {
        self.store = store
        self.maxBatchSize = maxBatchSize
        self.logger = logger
    }

    func submit(_ message: IncomingMessage, completion: @escaping Completion) {
        queue.append(Pending(message: message, completion: completion))
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
            do {
                let outcomes = try await store.accept(batch.map(\.message))
                for (pending, outcome) in zip(batch, outcomes) {
                    await pending.completion(.success(outcome))
                }
            } catch {
                logger.error("Writing \(batch.count) messages failed", metadata: ["error": "\(error)"])
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
