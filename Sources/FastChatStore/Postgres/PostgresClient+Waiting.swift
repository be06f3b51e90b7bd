import Foundation
import PostgresNIO

extension PostgresClient {
    /// `withConnection`, giving up with `ConnectionWaitExceeded` if no connection is leased within `limit`.
    /// postgres-nio's pool keeps a lease waiting while it cannot connect (for a minute before its circuit breaker
    /// fails it): without a limit, a store request made while the server is down would hang instead of failing.
    /// Once `body` has its connection it runs to the end, however long it takes.
    func withConnection<Result: Sendable>(
        waitingAtMost limit: Duration,
        _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let lease = LeaseRace()
        return try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await self.withConnection { connection in
                        // A connection that comes after the wait was given up goes straight back.
                        guard lease.settle(.leased) else { throw ConnectionWaitExceeded(limit: limit) }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: limit)
                    if lease.settle(.givenUp) { throw ConnectionWaitExceeded(limit: limit) }
                    return nil
                }
                while let outcome = try await group.next() {
                    if let result = outcome {
                        group.cancelAll()
                        return result
                    }
                }
                preconditionFailure("The leasing task ended without a result or an error.")
            }
        }
    }
}

/// No pooled connection to PostgreSQL became free (or could be opened) within `limit`.
struct ConnectionWaitExceeded: Error {
    let limit: Duration
}

/// Whichever settles first, the lease or the timer, wins; the other learns it lost. (A lock, not `Mutex`: the package
/// still supports macOS 14.)
private final class LeaseRace: @unchecked Sendable {
    enum Outcome { case leased, givenUp }

    private let lock = NSLock()
    private var outcome: Outcome?

    /// True if `candidate` is the outcome (it came first).
    func settle(_ candidate: Outcome) -> Bool {
        lock.withLock {
            if outcome == nil { outcome = candidate }
            return outcome == candidate
        }
    }
}
