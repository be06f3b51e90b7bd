@testable import FastChatStore
import Foundation
import GRDB
import Testing

/// The log of a file that nodes write and read without a pause is never written from its beginning again by SQLite
/// alone; a store's writes restart it once it is over the limit.
@Suite struct SQLiteCheckpointsTests {
    @Test func aLogOverTheLimitIsRestartedByTheStoresNextWritesAndCutBackToTheLimit() async throws {
        let storage = try SQLiteStorage()
        defer { try? FileManager.default.removeItem(at: storage.directory) }
        let limit: Int64 = 64 << 10
        let checkpoints = SQLiteCheckpoints(databasePath: storage.path, limitBytes: limit, checkEvery: 1)
        let store = try SQLiteStore(path: storage.path, logger: Fixtures.logger, checkpoints: checkpoints)
        // Another node's pools on the same file: one writes, one reads.
        let other = try DatabasePool(path: storage.path, configuration: SQLiteStore.configuration(path: storage.path))
        let reader = try DatabasePool(path: storage.path, configuration: SQLiteStore.configuration(path: storage.path))
        try await other.write { try $0.execute(sql: "CREATE TABLE filler(bytes BLOB)") }

        // While a reader holds its snapshot, no checkpoint gets past it, and the log grows beyond the limit.
        try Self.write(rows: 64, with: other, whileSnapshotHeldBy: reader)
        let grown = checkpoints.walBytes()
        #expect(grown > limit)
        // The reader is gone, but SQLite alone writes on at the log's end: a write elsewhere leaves it as big.
        try await other.write { try $0.execute(sql: "INSERT INTO filler VALUES (?)", arguments: [Fixtures.bytes(16)]) }
        #expect(checkpoints.walBytes() >= grown)

        // The store's write checkpoints the whole log (RESTART); the write after it starts at the log's beginning,
        // and the file is cut back to the limit.
        try await store.createUser(Fixtures.user("alice"))
        try await store.createUser(Fixtures.user("bob"))
        #expect(checkpoints.walBytes() <= limit)
        #expect(try await store.user(named: "alice") != nil)
        #expect(try await other.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM filler") } == 65)

        try other.close()
        try reader.close()
        try await store.close()
    }

    /// Synchronous, so that GRDB's synchronous read holds the snapshot around the writes.
    private static func write(rows: Int, with writer: DatabasePool, whileSnapshotHeldBy reader: DatabasePool) throws {
        try reader.read { db in
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM filler")
            for _ in 0..<rows {
                try writer.write { try $0.execute(sql: "INSERT INTO filler VALUES (?)", arguments: [Fixtures.bytes(4096)]) }
            }
        }
    }
}
