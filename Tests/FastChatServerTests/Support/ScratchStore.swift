import FastChatStore
import Foundation
import Logging

/// A real SQLite store in a directory of its own, for tests that need a store but no node.
final class ScratchStore: Sendable {
    let directory: URL
    let store: SQLiteStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fastchat-server-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("fastchat.db").path, logger: Logger(label: "test"))
    }

    /// Removes the directory at once. The store's files stay open until the store is released, which Linux allows;
    /// closing first would need an `await`, which a `defer` cannot give.
    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
