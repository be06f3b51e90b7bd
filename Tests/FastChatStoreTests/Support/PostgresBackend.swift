@testable import FastChatStore
import Foundation
import Logging

/// Each storage is a database of its own on the server `FASTCHAT_TEST_POSTGRES_URL` names (scripts/with-postgres.sh
/// starts a throwaway one), created for the case and dropped afterwards.
struct PostgresBackend: StoreBackend {
    /// The server's URL, if the tests were given one.
    static var configuredURL: String? { PostgresTestServer.configuredURL }

    /// A database the tests only use to create and drop the others.
    let maintenance: PostgresURL

    init() throws {
        maintenance = try PostgresTestServer.maintenanceURL()
    }

    func makeStorage() async throws -> any StoreStorage {
        try await makeDatabase()
    }

    func makeDatabase() async throws -> PostgresStorage {
        PostgresStorage(database: try await PostgresTestDatabase.create())
    }
}

struct PostgresStorage: StoreStorage {
    let database: PostgresTestDatabase
    var url: PostgresURL { database.url }

    func withStore(_ body: (any ChatStore) async throws -> Void) async throws {
        try await PostgresStore.withStore(url: url.text, logger: Fixtures.logger) { try await body($0) }
    }

    func destroy() async throws {
        try await database.drop()
    }

    /// Runs `body` on a connection of its own to this database.
    func withRunner<Result>(_ body: (PostgresRunner) async throws -> Result) async throws -> Result {
        try await database.withRunner(body)
    }
}
