import FastChatStore
import Testing

/// What the contract suite needs from a backend: fresh, empty storage for each case.
protocol StoreBackend: Sendable {
    func makeStorage() async throws -> any StoreStorage
}

/// The backing storage of one empty store (a SQLite file, a PostgreSQL database). Each `withStore` is
/// a separate connection to it, as another server process, or the same one after a restart,
/// would make.
protocol StoreStorage: Sendable {
    /// Opens a store on the storage for the length of `body`.
    func withStore(_ body: (any ChatStore) async throws -> Void) async throws
    /// Removes the storage; every store opened on it is closed by then.
    func destroy() async throws
}

/// Hands a contract case its stores and closes them afterwards, whatever the outcome.
struct ContractContext: Sendable {
    private let storage: any StoreStorage
    private let stores: ScopedStores

    private init(storage: any StoreStorage, stores: ScopedStores) {
        self.storage = storage
        self.stores = stores
    }

    func open() async throws -> any ChatStore {
        try await stores.open { [storage] in try await storage.withStore($0) }
    }

    static func run(
        on backend: any StoreBackend,
        _ body: (ContractContext) async throws -> Void
    ) async throws {
        let storage = try await backend.makeStorage()
        do {
            try await withScopedStores { stores in
                try await body(ContractContext(storage: storage, stores: stores))
            }
        } catch {
            try? await storage.destroy()
            throw error
        }
        try await storage.destroy()
    }
}

/// The backends a parameterized test runs on: SQLite always, PostgreSQL when `FASTCHAT_TEST_POSTGRES_URL` is set.
enum StoreKind: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var configured: [StoreKind] { [.sqlite] + (PostgresTestServer.configuredURL == nil ? [] : [.postgres]) }

    var testDescription: String { rawValue }

    func backend() throws -> any StoreBackend {
        switch self {
        case .sqlite: SQLiteBackend()
        case .postgres: try PostgresBackend()
        }
    }
}
