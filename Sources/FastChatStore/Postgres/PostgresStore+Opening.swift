import Foundation
import PostgresNIO

extension PostgresStore {
    /// Connects once, outside the pool, so that an unreachable server or bad credentials fail fast with the cause.
    static func connect(_ url: PostgresURL, logger: Logger) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(
                configuration: try url.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            logger.debug("Cannot connect to PostgreSQL", metadata: ["error": "\(String(reflecting: error))"])
            throw StoreError.cannotOpen(
                "Cannot connect to the PostgreSQL database \(url.masked): \(PostgresRunner.reason(error)).")
        }
    }

    /// Applies the missing migrations in one transaction. The advisory lock makes nodes that start together on a
    /// fresh database take turns: the first creates the schema, the others find it recorded and do nothing.
    static func migrate(_ runner: PostgresRunner) async throws {
        try await runner.transaction { runner in
            try await runner.lock(PostgresStatements.migrationLockKey)
            try await runner.rows(PostgresStatements.createMigrationsTable)
            let applied = try await appliedMigrations(runner)
            let now = UnixMillis.now().millis
            for migration in PostgresMigrations.all where !applied.contains(migration.id) {
                for statement in migration.statements {
                    try await runner.rows(statement)
                }
                try await runner.rows(PostgresStatements.insertAppliedMigration, [migration.id, now])
                runner.logger.debug("Applied migration", metadata: ["migration": "\(migration.id)"])
            }
        }
    }

    /// The applied migrations' ids, in the order of `PostgresMigrations.all` (unknown ones, from a newer release, last).
    static func appliedMigrations(_ runner: PostgresRunner) async throws -> [String] {
        let ids = try await runner.rows(PostgresStatements.selectAppliedMigrations).map { try $0.decode(String.self) }
        let order = Dictionary(uniqueKeysWithValues: PostgresMigrations.all.enumerated().map { ($1.id, $0) })
        return ids.sorted { (order[$0] ?? .max, $0) < (order[$1] ?? .max, $1) }
    }
}
