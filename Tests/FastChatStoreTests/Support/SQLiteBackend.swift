import FastChatStore
import Foundation

/// Each storage is a database file in its own temporary directory.
struct SQLiteBackend: StoreBackend {
    func makeStorage() async throws -> any StoreStorage {
        try SQLiteStorage()
    }
}

struct SQLiteStorage: StoreStorage {
    let directory: URL
    var path: String { directory.appendingPathComponent("fastchat.db").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("FastChatStoreTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func withStore(_ body: (any ChatStore) async throws -> Void) async throws {
        try await SQLiteStore.withStore(path: path, logger: Fixtures.logger) { try await body($0) }
    }

    func destroy() async throws {
        try FileManager.default.removeItem(at: directory)
    }
}
