@testable import FastChatStore
import Foundation
import Testing

/// `PostgresStore.withStore` bounds the store's connection pool: whichever way the body ends, the pool has ended
/// (its connections are gone) when the call returns, and a reference that outlived the scope refuses statements.
extension PostgresStoreTests {
    @Test func scopeEndsThePool() async throws {
        try await withDatabase { storage in
            let url = storage.url.text
            let escaped = try await PostgresStore.withStore(url: url, logger: Fixtures.logger) { store throws in
                #expect(try await store.user(named: "alice") == nil)
                #expect(try await otherConnections(storage) >= 1, "the pool holds the connection it leased")
                return store
            }
            try await expectEnded(escaped, storage)
        }
    }

    @Test func bodyErrorPropagatesAndEndsThePool() async throws {
        struct BodyFailed: Error {}
        try await withDatabase { storage in
            var escaped: PostgresStore?
            do {
                try await PostgresStore.withStore(url: storage.url.text, logger: Fixtures.logger) { store in
                    escaped = store
                    #expect(try await store.user(named: "alice") == nil)
                    throw BodyFailed()
                }
                Issue.record("withStore returned although its body threw")
            } catch is BodyFailed {}
            try await expectEnded(try #require(escaped), storage)
        }
    }

    /// The store refuses statements with a sentence, its pool has shut down (a running one would lease), and the
    /// server sees none of its connections.
    private func expectEnded(_ store: PostgresStore, _ storage: PostgresStorage) async throws {
        let error = await #expect(throws: StoreError.self) { try await store.user(named: "alice") }
        guard case .cannotOpen(let sentence) = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
        #expect(sentence == "The PostgreSQL store \(store.url) is closed.")
        let leaseError = await #expect(throws: (any Error).self) { try await store.client.withConnection { _ in } }
        #expect(String(describing: leaseError).contains("poolShutdown"), "\(String(describing: leaseError))")
        try await expectNoOtherConnections(storage)
    }

    /// The server ends a backend shortly after its client hangs up: wait for that, bounded, rather than guess a delay.
    /// (A pool left running would also drop its idle connection after a minute: the lease above tells the two apart.)
    private func expectNoOtherConnections(_ storage: PostgresStorage) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var open = try await otherConnections(storage)
        while open > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            open = try await otherConnections(storage)
        }
        #expect(open == 0, "connections to the database left after the scope ended")
    }

    /// Connections to the database other than the one asking: the pool's.
    private func otherConnections(_ storage: PostgresStorage) async throws -> Int {
        try await storage.database.count(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    }
}
