import Foundation
import GRDB
import Logging

extension SQLiteStore {
    /// Opens the store at `path` (as `init(path:logger:)` does), runs `body` with it, and closes it, also when `body`
    /// throws: the same scoped shape as `PostgresStore.withStore`, though nothing here runs in the background.
    public static func withStore<Result>(
        path: String,
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (SQLiteStore) async throws -> Result
    ) async throws -> Result {
        let store = try SQLiteStore(path: path, logger: logger)
        let result: Result
        do {
            result = try await body(store)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
        return result
    }

    /// Other processes hold the write lock for one short transaction at a time: wait for them
    /// rather than fail with SQLITE_BUSY.
    static let busyTimeout: TimeInterval = 10

    /// One connection pool's: its writer takes turns with the other processes' (`SQLiteWriteTurns`), and its log is
    /// kept to a size (`SQLiteCheckpoints`).
    static func configuration(
        path: String, turns: SQLiteWriteTurns? = nil, checkpoints: SQLiteCheckpoints? = nil
    ) -> Configuration {
        var configuration = Configuration()
        configuration.label = "FastChatStore"
        (turns ?? SQLiteWriteTurns(databasePath: path, timeout: busyTimeout)).install(in: &configuration)
        (checkpoints ?? SQLiteCheckpoints(databasePath: path)).install(in: &configuration)
        return configuration
    }

    static func createParentDirectory(of path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError.cannotOpen(
                "Cannot create the directory \(directory.path) for the database \(path).")
        }
        // The store holds password verifiers and key backups: only its owner reads it. SQLite gives the WAL and
        // shared-memory files the database file's mode, so creating that file 0600 first covers all three.
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else {
            throw StoreError.cannotOpen("Cannot create the database \(path): \(String(cString: strerror(errno))).")
        }
        Foundation.close(fd)
    }

    /// Switching a brand-new file to WAL needs an exclusive lock, and SQLite reports SQLITE_BUSY
    /// at once instead of waiting when another connection holds a lock meanwhile. Processes that
    /// open a fresh file together therefore retry until one of them has switched it; from then on
    /// the switch is a no-op that takes no lock.
    static func openPool(
        path: String, turns: SQLiteWriteTurns, checkpoints: SQLiteCheckpoints, logger: Logger
    ) throws -> DatabasePool {
        let deadline = Date(timeIntervalSinceNow: busyTimeout)
        while true {
            do {
                return try DatabasePool(
                    path: path, configuration: configuration(path: path, turns: turns, checkpoints: checkpoints))
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                logger.debug("Database busy while opening; retrying", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: .random(in: 0.005...0.05))
            }
        }
    }

    /// GRDB's migrator assumes it is the only one migrating, but several server processes may open
    /// a fresh file at once. A process that loses the race fails on a migration the winner has just
    /// committed (each migration is its own transaction, so nothing half-done remains); it then
    /// tries again from the new state. Only an error that did not coincide with progress by
    /// someone else is real.
    static func migrate(_ pool: DatabasePool, logger: Logger) throws {
        let migrator = SQLiteMigrations.migrator
        while true {
            let before = try pool.read { try migrator.appliedIdentifiers($0) }
            do {
                try migrator.migrate(pool)
                return
            } catch {
                let after = try pool.read { try migrator.appliedIdentifiers($0) }
                guard after != before else { throw error }
                logger.debug("Another process migrated the database meanwhile; retrying", metadata: [
                    "error": "\(error)",
                ])
            }
        }
    }

    /// The user-facing part of an opening error; the full one (with its SQL) goes to the log.
    static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError, let message = error.message {
            return message
        }
        return "\(error)"
    }
}
