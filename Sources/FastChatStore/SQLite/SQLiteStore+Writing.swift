import GRDB
import NIOPosix

extension SQLiteStore {
    /// Every write of the store: one transaction, begun when this process's turn allows (`SQLiteWriteTurns`). On the
    /// writer thread (a commit stage's batch) it is written right there, with GRDB's synchronous API; elsewhere on
    /// GRDB's writer queue.
    func writeTransaction<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        // A synchronous function picks GRDB's synchronous write.
        func writeHere() throws -> T {
            try pool.writeWithoutTransaction { [turns, checkpoints] db in
                try Self.transaction(in: db, turns: turns, checkpoints: checkpoints, updates)
            }
        }
        if Self.onWriterThread { return try writeHere() }
        return try await pool.writeWithoutTransaction { [turns, checkpoints] db in
            try Self.transaction(in: db, turns: turns, checkpoints: checkpoints, updates)
        }
    }

    private static func transaction<T>(
        in db: Database, turns: SQLiteWriteTurns, checkpoints: SQLiteCheckpoints, _ updates: (Database) throws -> T
    ) throws -> T {
        turns.awaitTurn()
        var result: T?
        try db.inTransaction {
            result = try updates(db)
            return .commit
        }
        turns.didCommit()
        checkpoints.didCommit(db, turns: turns)
        return result!
    }

    public var batchWriteExecutor: (any TaskExecutor)? { Self.writerThread }

    /// Where commit stages run (a node has one), and write with GRDB's synchronous API (`writeTransaction`): no hop to GRDB's writer
    /// queue and back to the cooperative pool per batch. Blocking here is what it is for; SQLite takes writes one at
    /// a time anyway. One per process, started on first use and never stopped (as NIO's singleton event loops are):
    /// a node has one store.
    static let writerThread = ThreadExecutor()

    /// Asked on every write: it starts the writer thread only if asked from an event loop's thread.
    static var onWriterThread: Bool {
        MultiThreadedEventLoopGroup.currentEventLoop != nil && writerThread.isCurrent
    }
}
