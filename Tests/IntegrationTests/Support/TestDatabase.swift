@testable import FastChatStore
import Foundation
import GRDB
import Logging
import Testing

/// The store a test's nodes run on.
enum Backend: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    /// What a parameterized test runs on: SQLite always, PostgreSQL when `FASTCHAT_TEST_POSTGRES_URL` is set
    /// (scripts/test.sh starts a throwaway server and sets it).
    static var all: [Backend] { [.sqlite] + (PostgresTestServer.configuredURL == nil ? [] : [.postgres]) }

    var testDescription: String { rawValue }
}

/// The storage behind one or more harness nodes: a SQLite file in the harness's directory, or a PostgreSQL database
/// of its own, created empty and dropped by `destroy()`.
enum TestDatabase: Sendable {
    case sqlite(path: String)
    case postgres(PostgresTestDatabase)

    static func make(_ backend: Backend, in directory: URL) async throws -> TestDatabase {
        switch backend {
        case .sqlite: .sqlite(path: directory.appendingPathComponent("fastchat.db").path)
        case .postgres: .postgres(try await PostgresTestDatabase.create())
        }
    }

    var backend: Backend {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// The `--database` argument of `fastchat server` and `balancer` for this storage.
    var argument: String {
        switch self {
        case .sqlite(let path): "sqlite:" + path
        case .postgres(let database): database.url.text
        }
    }

    /// The storage as the store opens it: what `argument` parses to.
    var storeURL: StoreURL {
        switch self {
        case .sqlite(let path): .sqlite(path: path)
        case .postgres(let database): .postgres(database.url.text)
        }
    }

    /// Another connection to the storage, as another node process would open, for the length of `body`.
    func withStore<Result>(
        logger: Logger = NodeHarness.logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (any ChatStore) async throws -> Result
    ) async throws -> Result {
        try await FastChatStore.withStore(storeURL, logger: logger, body)
    }

    /// The integer a `SELECT COUNT(*) …` returns; the SQL must be valid on both databases (no bound parameters).
    func count(_ sql: String) async throws -> Int {
        switch self {
        case .sqlite(let path):
            let pool = try DatabasePool(path: path)
            defer { try? pool.close() }
            return try await pool.read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
        case .postgres(let database):
            return try await database.count(sql)
        }
    }

    /// Removes the storage; every store on it is closed by then (PostgreSQL's are forced off anyway).
    func destroy() async throws {
        switch self {
        case .sqlite: break  // The file goes with the harness's directory.
        case .postgres(let database): try await database.drop()
        }
    }
}
