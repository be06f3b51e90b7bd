import FastChatStore
import Testing

/// What the contract suite needs from a backend: fresh, empty storage for each case.
protocol StoreBackend: Sendable {
    func makeStorage() async throws -> any StoreStorage
}

/// The backing storage of one empty store (a SQLite file, a PostgreSQL database). Each `open()` is
/// a separate connection to it, as another server process, or the same one after a restart,
/// would make.
protocol StoreStorage: Sendable {
    func open() async throws -> any ChatStore
    /// Removes the storage; every store opened on it is closed by then.
    func destroy() async throws
}

/// Hands a contract case its stores and closes them afterwards, whatever the outcome.
struct ContractContext: Sendable {
    private let storage: any StoreStorage
    private let opened = OpenedStores()

    private init(storage: any StoreStorage) {
        self.storage = storage
    }

    func open() async throws -> any ChatStore {
        let store = try await storage.open()
        await opened.add(store)
        return store
    }

    static func run(
        on backend: any StoreBackend,
        _ body: (ContractContext) async throws -> Void
    ) async throws {
        let context = ContractContext(storage: try await backend.makeStorage())
        do {
            try await body(context)
        } catch {
            await context.opened.closeAll()
            try? await context.storage.destroy()
            throw error
        }
        await context.opened.closeAll()
        try await context.storage.destroy()
    }
}

private actor OpenedStores {
    private var stores: [any ChatStore] = []

    func add(_ store: any ChatStore) {
        stores.append(store)
    }

    /// `close()` is idempotent, so stores a case closed itself are fine here.
    func closeAll() async {
        for store in stores {
            try? await store.close()
        }
        stores = []
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
