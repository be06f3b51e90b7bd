@testable import FastChatStore
import Dispatch
import Foundation
import GRDB
import Testing

/// Two stores on one file stand for two nodes sharing it: SQLite's locks between connections of one process work as
/// between processes.
@Suite struct SQLiteWriteTurnsTests {
    /// A store whose write finds the lock held by another store says that it waits, where the holder reads it (its
    /// busy handler is the turns' one), and its write goes through once the holder commits.
    @Test func aStoreWaitingForTheLockSaysSoAndGoesThroughAfterTheHolder() async throws {
        let storage = try SQLiteStorage()
        defer { try? FileManager.default.removeItem(at: storage.directory) }
        let holder = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
        let waiter = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
        try await holder.registerNode(Fixtures.node("holder", port: 1))
        try await waiter.registerNode(Fixtures.node("waiter", port: 2))
        #expect(holder.turns.lastAnnouncement() == nil, "no writer has waited yet")

        // A thread of its own holds a write transaction open until told to commit.
        let holding = DispatchSemaphore(value: 0)
        let commit = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? holder.pool.write { db in
                try db.execute(sql: "UPDATE nodes SET connections = 1 WHERE name = 'holder'")
                holding.signal()
                commit.wait()
            }
        }
        await withCheckedContinuation { held in
            DispatchQueue.global().async {
                holding.wait()
                held.resume()
            }
        }
        async let beat = waiter.heartbeat(node: "waiter", load: NodeLoad(connections: 1), at: Date())
        // The waiter gives up after `busyTimeout`; it says it waits at its first try.
        let deadline = ContinuousClock.now + .seconds(SQLiteStore.busyTimeout)
        while holder.turns.lastAnnouncement() == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        let announced = holder.turns.lastAnnouncement() != nil
        commit.signal()
        #expect(announced, "the waiting store said so in the turns file")
        #expect(try await beat, "its write went through once the holder committed")
        try await holder.close()
        try await waiter.close()
    }

    /// A waiting writer says so in the turns file beside the database, where the writers of other pools (other
    /// processes) read it before their next transaction; its own pool's writer does not pause for it. (An hour's
    /// freshness: with the node's 5 ms, a busy machine could let the announcement go stale before the check.)
    @Test func aWaitingWriterIsSeenByTheOthersAndNotByItself() throws {
        let storage = try SQLiteStorage()
        defer { try? FileManager.default.removeItem(at: storage.directory) }
        let waiter = SQLiteWriteTurns(databasePath: storage.path, timeout: 10, waitingFresh: .seconds(3600))
        let holder = SQLiteWriteTurns(databasePath: storage.path, timeout: 10, waitingFresh: .seconds(3600))
        #expect(!holder.anotherWriterWaits())
        #expect(waiter.retry(afterTries: 0))
        #expect(holder.anotherWriterWaits())
        #expect(!waiter.anotherWriterWaits())
        #expect(FileManager.default.fileExists(atPath: storage.path + "-turns"))
    }

    /// An announcement older than the freshness window no longer counts: the waiter has given up or got the lock.
    @Test func aStaleAnnouncementDoesNotCount() throws {
        let storage = try SQLiteStorage()
        defer { try? FileManager.default.removeItem(at: storage.directory) }
        let waiter = SQLiteWriteTurns(databasePath: storage.path, timeout: 10)
        let holder = SQLiteWriteTurns(databasePath: storage.path, timeout: 10, waitingFresh: .zero)
        #expect(waiter.retry(afterTries: 0))
        #expect(holder.lastAnnouncement() != nil)
        #expect(!holder.anotherWriterWaits())
    }

    /// A writer pauses between a commit and its next transaction only for another pool's waiter, never for its own.
    @Test func aWriterPausesOnlyForAnotherWaiter() throws {
        let storage = try SQLiteStorage()
        defer { try? FileManager.default.removeItem(at: storage.directory) }
        let writer = SQLiteWriteTurns(databasePath: storage.path, timeout: 10)
        writer.didCommit()
        #expect(writer.pauseBeforeNextWrite() == 0, "nobody waits")
        #expect(writer.retry(afterTries: 0))
        writer.didCommit()
        #expect(writer.pauseBeforeNextWrite() == 0, "only its own wait")
    }

    /// The busy handler waits at least the timeout, not forever: each try sleeps at least the shortest interval.
    @Test func aWaitingWriterGivesUpAfterTheTimeout() throws {
        let storage = try SQLiteStorage()
        defer { try? FileManager.default.removeItem(at: storage.directory) }
        let turns = SQLiteWriteTurns(databasePath: storage.path, timeout: 1)
        let triesInTimeout = Int(1e6 / Double(SQLiteWriteTurns.retryMicroseconds.lowerBound))
        #expect(turns.retry(afterTries: triesInTimeout - 1))
        #expect(!turns.retry(afterTries: triesInTimeout))
    }

    /// While waits are brief (a checkpoint), the busy handler gives up after the brief timeout; after, the full one
    /// holds again.
    @Test func briefWaitsGiveUpSoonerAndOnlyWhileBrief() throws {
        let storage = try SQLiteStorage()
        defer { try? FileManager.default.removeItem(at: storage.directory) }
        let turns = SQLiteWriteTurns(databasePath: storage.path, timeout: 10)
        let briefTries = Int(SQLiteWriteTurns.briefTimeout * 1e6 / Double(SQLiteWriteTurns.retryMicroseconds.lowerBound))
        #expect(turns.briefly { turns.retry(afterTries: briefTries - 1) })
        #expect(!turns.briefly { turns.retry(afterTries: briefTries) })
        #expect(turns.retry(afterTries: briefTries))
    }
}
