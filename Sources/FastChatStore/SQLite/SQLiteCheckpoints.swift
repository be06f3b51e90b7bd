import Foundation
import GRDB
import Synchronization

/// Keeps the write-ahead log from growing without bound.
///
/// SQLite copies the log into the database as it goes (a passive checkpoint every 1,000 pages), but writes it from
/// its beginning again only once a checkpoint has caught up with it and no reader still reads from it. Nodes that
/// share one file and write and read it without a pause never let that happen: at saturation the log grew by about
/// 50 MB a second (2 GB in a 40-second bench run), and each write past its end had the kernel allocate and zero new
/// blocks, a sixth of the nodes' CPU. A node running for days under load would fill its disk.
///
/// So after every `checkEvery`-th commit the writer looks at the log's size, and beyond `limitBytes` it checkpoints
/// the log whole and waits until no reader needs it: SQLite's RESTART. The next write starts at the log's beginning,
/// and `journal_size_limit` cuts the file back to the limit. The waits are brief (`SQLiteWriteTurns.briefly`): a
/// checkpoint that cannot have the lock and the log soon is tried again at a later check, rather than hold back the
/// commit stage behind it.
final class SQLiteCheckpoints: Sendable {
    let limitBytes: Int64
    /// Commits between two looks at the log's size (a `stat`).
    let checkEvery: Int
    private let walPath: String
    private let commits = Atomic<Int>(0)

    init(databasePath: String, limitBytes: Int64 = 64 << 20, checkEvery: Int = 64) {
        walPath = databasePath + "-wal"
        self.limitBytes = limitBytes
        self.checkEvery = max(1, checkEvery)
    }

    func install(in configuration: inout Configuration) {
        let limit = limitBytes
        configuration.prepareDatabase { db in
            guard !db.configuration.readonly else { return }
            try db.execute(sql: "PRAGMA journal_size_limit = \(limit)")
        }
    }

    /// Called on the writer after each commit, outside any transaction. True if it restarted the log.
    @discardableResult
    func didCommit(_ db: Database, turns: SQLiteWriteTurns) -> Bool {
        guard commits.wrappingAdd(1, ordering: .relaxed).newValue % checkEvery == 0 else { return false }
        guard walBytes() > limitBytes else { return false }
        // Busy (another writer or a reader did not make way in time): a later check tries again.
        return turns.briefly { (try? db.checkpoint(.restart)) != nil }
    }

    func walBytes() -> Int64 {
        var info = stat()
        guard stat(walPath, &info) == 0 else { return 0 }
        return Int64(info.st_size)
    }
}
