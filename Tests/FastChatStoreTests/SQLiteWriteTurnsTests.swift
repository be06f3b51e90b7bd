@testable import FastChatStore
import Dispatch
import Foundation
import GRDB
import Synchronization
import Testing

/// Two stores on one file stand for two nodes sharing it: SQLite's locks between connections of one process work as
/// between processes.
@Suite struct SQLiteWriteTurnsTests {
    /// One store writes without a break from two threads, so a transaction is always queued behind the running one
    /// (a node's two commit stages under load); the other's few writes (a heartbeat's) get their turns meanwhile,
    /// through the busy handler, without an error. (Within one process SQLite also lets them in
    /// without turns; the starving it prevents between processes is measured in BENCHMARKS.md.)
    @Test func aWriterAmongBusyOnesGetsItsTurns() async throws {
        let storage = try SQLiteStorage()
        defer { try? FileManager.default.removeItem(at: storage.directory) }
        let busy = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
        let other = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
        try await busy.registerNode(Fixtures.node("busy", port: 1))
        try await other.registerNode(Fixtures.node("other", port: 2))

        let otherWrites = 20
        // Far more than turns taken in order need (a few of the busy store's commits per write of the other).
        let busyCommitsAllowed = 100 * otherWrites
        let progress = Progress()
        // Threads of their own: blocking writes on Dispatch's pool could hold up the other store's writer queue too.
        let busyWriters = DispatchGroup()
        for _ in 0..<2 {
            busyWriters.enter()
            Thread.detachNewThread {
                defer { busyWriters.leave() }
                while !progress.otherDone.load(ordering: .relaxed),
                    progress.busyCommits.load(ordering: .relaxed) < busyCommitsAllowed
                {
                    try? busy.pool.write { db in
                        try db.execute(sql: "UPDATE nodes SET connections = connections + 1 WHERE name = 'busy'")
                    }
                    progress.busyCommits.add(1, ordering: .relaxed)
                }
            }
        }
        // Starts once the busy store is under way, so every write of this one meets it.
        while progress.busyCommits.load(ordering: .relaxed) < 10 { await Task.yield() }
        for _ in 0..<otherWrites {
            let registered = try await other.heartbeat(node: "other", load: NodeLoad(connections: 1), at: Date())
            #expect(registered)
        }
        let commits = progress.busyCommits.load(ordering: .relaxed)
        progress.otherDone.store(true, ordering: .relaxed)
        await withCheckedContinuation { done in busyWriters.notify(queue: .global()) { done.resume() } }

        #expect(commits < busyCommitsAllowed, "the other store's \(otherWrites) writes waited for \(commits) of the busy one's")
        try await busy.close()
        try await other.close()
    }

    /// A waiting writer says so in the turns file beside the database, where the writers of other pools (other
    /// processes) read it after each commit; its own pool's writer does not pause for it.
    @Test func aWaitingWriterIsSeenByTheOthersAndNotByItself() throws {
        let storage = try SQLiteStorage()
        defer { try? FileManager.default.removeItem(at: storage.directory) }
        let waiter = SQLiteWriteTurns(databasePath: storage.path, timeout: 10)
        let holder = SQLiteWriteTurns(databasePath: storage.path, timeout: 10)
        #expect(!holder.anotherWriterWaits())
        #expect(waiter.retry(afterTries: 0))
        #expect(holder.anotherWriterWaits())
        #expect(!waiter.anotherWriterWaits())
        #expect(FileManager.default.fileExists(atPath: storage.path + "-turns"))
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

    private final class Progress: Sendable {
        let busyCommits = Atomic<Int>(0)
        let otherDone = Atomic<Bool>(false)
    }
}
