@testable import FastChatStore
import Foundation
import Logging
import PostgresNIO

/// Each storage is a database of its own on the server `FASTCHAT_TEST_POSTGRES_URL` names (scripts/with-postgres.sh
/// starts a throwaway one), created from `template0` for the case and dropped afterwards.
struct PostgresBackend: StoreBackend {
    static let environmentVariable = "FASTCHAT_TEST_POSTGRES_URL"

    /// The server's URL, if the tests were given one.
    static var configuredURL: String? {
        ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A database the tests only use to create and drop the others.
    let maintenance: PostgresURL

    init() throws {
        guard let url = Self.configuredURL else {
            throw StoreError.cannotOpen("\(Self.environmentVariable) is not set.")
        }
        maintenance = try PostgresURL(parsing: url)
    }

    func makeStorage() async throws -> any StoreStorage {
        try await makeDatabase()
    }

    func makeDatabase() async throws -> PostgresStorage {
        let name = "fastchat_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await Self.execute("CREATE DATABASE \(name) TEMPLATE template0", on: maintenance)
        return PostgresStorage(maintenance: maintenance, name: name, url: try maintenance.withDatabase(name))
    }

    /// Runs one statement on a connection of its own.
    static func execute(_ sql: String, on url: PostgresURL) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: try url.connectionConfiguration(), id: 0, logger: Fixtures.logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Fixtures.logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}

struct PostgresStorage: StoreStorage {
    let maintenance: PostgresURL
    let name: String
    let url: PostgresURL

    func open() async throws -> any ChatStore {
        try await PostgresStore(url: url.text, logger: Fixtures.logger)
    }

    /// FORCE ends connections a failed case may have left open.
    func destroy() async throws {
        try await PostgresBackend.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: maintenance)
    }

    /// Runs `body` on a connection of its own to this database.
    func withRunner<Result>(_ body: (PostgresRunner) async throws -> Result) async throws -> Result {
        let connection = try await PostgresConnection.connect(
            configuration: try url.connectionConfiguration(), id: 0, logger: Fixtures.logger)
        do {
            let result = try await body(PostgresRunner(connection: connection, logger: Fixtures.logger))
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
