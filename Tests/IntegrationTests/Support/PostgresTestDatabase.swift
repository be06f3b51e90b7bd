// Shared by FastChatStoreTests and IntegrationTests: each target's Support folder holds a symbolic link to this file
// (a test-support target would need a Package.swift change for a single file).
@testable import FastChatStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL server the tests were given in `FASTCHAT_TEST_POSTGRES_URL` (scripts/with-postgres.sh starts a
/// throwaway one and sets it).
enum PostgresTestServer {
    static let environmentVariable = "FASTCHAT_TEST_POSTGRES_URL"

    /// The server's URL, if the tests were given one.
    static var configuredURL: String? {
        ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The database the tests only use to create and drop the others.
    static func maintenanceURL() throws -> PostgresURL {
        guard let url = configuredURL else {
            throw StoreError.cannotOpen("\(environmentVariable) is not set.")
        }
        return try PostgresURL(parsing: url)
    }

    static let logger = Logger(label: "test.postgres")

    /// Runs `body` on a connection of its own (outside any store's pool), closing it afterwards.
    static func withConnection<Result>(
        to url: PostgresURL,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await PostgresConnection.connect(
            configuration: try url.connectionConfiguration(), id: 0, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs one statement on a connection of its own.
    static func execute(_ sql: String, on url: PostgresURL) async throws {
        try await withConnection(to: url) { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }
}

/// A database of its own on the test server, created empty from `template0`, for one test case or one harness.
struct PostgresTestDatabase: Sendable {
    let maintenance: PostgresURL
    let name: String
    let url: PostgresURL

    /// A database on the server `FASTCHAT_TEST_POSTGRES_URL` names, or on the one `maintenance` names.
    static func create(on maintenance: PostgresURL? = nil) async throws -> PostgresTestDatabase {
        let maintenance = try maintenance ?? PostgresTestServer.maintenanceURL()
        let name = "fastchat_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await PostgresTestServer.execute("CREATE DATABASE \(name) TEMPLATE template0", on: maintenance)
        return PostgresTestDatabase(maintenance: maintenance, name: name, url: try maintenance.withDatabase(name))
    }

    /// FORCE ends connections a failed case (or a store not yet closed) may have left open.
    func drop() async throws {
        try await PostgresTestServer.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: maintenance)
    }

    /// Runs `body` on a connection of its own to this database.
    func withRunner<Result>(_ body: (PostgresRunner) async throws -> Result) async throws -> Result {
        try await PostgresTestServer.withConnection(to: url) { connection in
            try await body(PostgresRunner(connection: connection, logger: PostgresTestServer.logger))
        }
    }
}

extension PostgresTestDatabase {
    /// The single integer `sql` returns (a `COUNT(*)`), read on a connection of its own.
    func count(_ sql: String) async throws -> Int {
        try await withRunner { runner in
            guard let row = try await runner.rows(sql).first else { return 0 }
            return Int(try row.decode(Int64.self))
        }
    }

    /// Runs one statement on a connection of its own.
    func execute(_ sql: String) async throws {
        try await PostgresTestServer.execute(sql, on: url)
    }
}
