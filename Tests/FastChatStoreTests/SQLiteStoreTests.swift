@testable import FastChatStore
import Foundation
import GRDB
import Synchronization
import Testing

@Suite struct SQLiteStoreTests {
    @Test(arguments: ChatStoreContract.allCases)
    func contract(_ check: ChatStoreContract) async throws {
        try await check.run(on: SQLiteBackend())
    }

    @Test func usesWALAndNamedMigrations() async throws {
        try await withStorage { storage in
            let store = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
            #expect(try await store.journalMode() == "wal")
            #expect(try await store.appliedMigrations() == [
                "v1-accounts", "v1-sessions", "v1-mailbox", "v2-groups", "v3-nodes", "v4-blobs", "v5-login-keys",
                "v6-blob-refs", "v7-shared-bodies", "v8-node-draining", "v9-node-load", "v10-mailbox-usage",
            ])
            try await store.close()
        }
    }

    /// The file holds password verifiers and key backups: it and its WAL, shared-memory and turns files are the owner's
    /// alone, as is a directory made for it.
    @Test func filesAreCreatedForTheOwnerOnly() async throws {
        try await withStorage { storage in
            let path = URL(fileURLWithPath: storage.path).deletingLastPathComponent()
                .appendingPathComponent("made-here/fastchat.db").path
            let store = try SQLiteStore(path: path, logger: Fixtures.logger)
            try await store.createUser(Fixtures.user("alice"))
            func mode(_ file: String) throws -> Int? {
                try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            }
            for file in [path, path + "-wal", path + "-shm", path + "-turns"] {
                #expect(try mode(file) == 0o600, "\(file)")
            }
            #expect(try mode(URL(fileURLWithPath: path).deletingLastPathComponent().path) == 0o700)
            try await store.close()
        }
    }

    /// Several server processes started together on a fresh file all migrate it at once.
    @Test func concurrentFirstOpensAllSucceed() async throws {
        try await withStorage { storage in
            let path = storage.path
            let stores = try await withThrowingTaskGroup(of: SQLiteStore.self) { group in
                for _ in 0..<6 {
                    group.addTask { try SQLiteStore(path: path, logger: Fixtures.logger) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for store in stores {
                #expect(try await store.appliedMigrations() == SQLiteMigrations.migrator.migrations)
                try await store.close()
            }
        }
    }

    /// A file from before shared bodies keeps its entries whole: they are delivered and acknowledged as before,
    /// beside group messages stored the new way.
    @Test func upgradesAV6DatabaseKeepingWholeEntries() async throws {
        try await withStorage { storage in
            try SQLiteStore.writeFile(path: storage.path, migratedUpTo: "v6-blob-refs", users: [])
            let (id, item) = (UUID(), Fixtures.bytes(300))
            try SQLiteStore.writeLegacyMailboxEntry(path: storage.path, recipient: "bob", sender: "alice", messageID: id, item: item)

            let store = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
            #expect(try await store.appliedMigrations().last == "v10-mailbox-usage")
            try await SharedBodyStorageTests.expectOldEntryStaysWhole(store, messageID: id, item: item)
            try await store.close()
        }
    }

    /// A file written before groups (and the node registry) existed gains them on open and keeps what it held.
    @Test func upgradesAV1Database() async throws {
        try await withStorage { storage in
            let alice = Fixtures.user("alice", legacy: true)
            try SQLiteStore.writeFile(path: storage.path, migratedUpTo: "v1-mailbox", users: [alice])

            let store = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
            #expect(
                try await store.appliedMigrations().suffix(9) == [
                    "v2-groups", "v3-nodes", "v4-blobs", "v5-login-keys", "v6-blob-refs", "v7-shared-bodies",
                    "v8-node-draining", "v9-node-load", "v10-mailbox-usage",
                ])
            #expect(try await store.user(named: "alice") == alice)
            try await store.createGroup(Fixtures.group("team", by: "alice"))
            #expect(try await store.groups(of: "alice") == [GroupMembership(group: "team", role: .admin)])
            #expect(try await store.nodes().isEmpty)
            try await store.close()
        }
    }

    /// A file from before login keys keeps its accounts' and groups' hashes (each is replaced at its first proof),
    /// and the rebuilt tables keep their memberships and cascades.
    @Test func upgradesAV4DatabaseKeepingLegacyHashes() async throws {
        try await withStorage { storage in
            let alice = Fixtures.user("alice", legacy: true)
            let team = Fixtures.group("team", by: "alice", legacy: true)
            try SQLiteStore.writeFile(path: storage.path, migratedUpTo: "v4-blobs", users: [alice], groups: [team])

            let store = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
            #expect(try await store.appliedMigrations().last == "v10-mailbox-usage")
            #expect(try await store.user(named: "alice") == alice)
            #expect(try await store.group(named: "team") == team)
            #expect(try await store.groups(of: "alice") == [GroupMembership(group: "team", role: .admin)])
            guard case .legacyHash(let hash) = alice.verifier else { return }
            let key = Fixtures.bytes(32)
            #expect(try await store.upgradeLogin(username: "alice", legacyHash: hash, loginKey: key))
            #expect(try await store.user(named: "alice")?.verifier == .loginKey(key))
            #expect(try await store.deleteGroup("team").map(\.username) == ["alice"])
            #expect(try await store.groups(of: "alice").isEmpty, "memberships still go with their group")
            try await store.close()
        }
    }

    @Test func upgradesAV5DatabaseKeepingReferencedBlobs() async throws {
        try await withStorage { storage in
            try SQLiteStore.writeFile(path: storage.path, migratedUpTo: "v5-login-keys", users: [])
            let (referenced, unreferenced) = (UUID(), UUID())
            try SQLiteStore.writeLegacyBlob(path: storage.path, id: referenced, uploader: "alice", referenced: true)
            try SQLiteStore.writeLegacyBlob(path: storage.path, id: unreferenced, uploader: "alice", referenced: false)

            let store = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
            #expect(try await store.appliedMigrations().last == "v10-mailbox-usage")
            try await BlobStoreTests.expectLegacyRules(store, referenced: referenced, unreferenced: unreferenced)
            try await store.close()
        }
    }

    @Test func createsMissingParentDirectories() async throws {
        try await withStorage { storage in
            let path = storage.directory.appendingPathComponent("a/b/chat.db").path
            try await withStore(.sqlite(path: path), logger: Fixtures.logger) { store in
                try await store.createUser(Fixtures.user("alice"))
            }
            #expect(FileManager.default.fileExists(atPath: path))
        }
    }

    /// A regular file where a directory should be stops even root, unlike permission bits.
    @Test func unwritableLocationCannotOpen() async throws {
        try await withStorage { storage in
            let blocker = storage.directory.appendingPathComponent("not-a-directory")
            try Data("x".utf8).write(to: blocker)
            for path in [blocker.appendingPathComponent("chat.db").path, storage.directory.path] {
                let error = #expect(throws: StoreError.self) {
                    try SQLiteStore(path: path, logger: Fixtures.logger)
                }
                guard case .cannotOpen(let sentence) = error else {
                    Issue.record("expected cannotOpen, got \(String(describing: error))")
                    continue
                }
                #expect(sentence.contains(path))
            }
        }
    }

    /// What one 1 MiB message to twelve members adds to the file (database and WAL, right after the commit): stored
    /// as twelve whole copies, as before shared bodies, against one body and twelve small rows.
    @Test func aGroupMessageToTwelveMembersGrowsTheFileByItsCiphertextOnce() async throws {
        let shared = SharedBodyStorageTests.groupMessage(to: SharedBodyStorageTests.twelve, bodyBytes: 1 << 20)
        var whole = shared
        whole.copies = shared.copies.map { .init(recipient: $0.recipient, envelope: $0.envelope + shared.sharedBody!) }
        whole.sharedBody = nil
        let (before, after) = (try await fileGrowth(accepting: whole), try await fileGrowth(accepting: shared))
        #expect(before > 24 << 20, "twelve copies, in the WAL and again in the database: \(before) bytes")
        #expect(after < 3 << 20, "one body and twelve small rows: \(after) bytes")
    }

    /// A commit stage runs on the store's writer thread (`batchWriteExecutor`): its writes commit right there,
    /// with no hop to GRDB's writer queue; a write from anywhere else still goes through that queue.
    @Test func writesFromTheWriterThreadCommitOnItAndOthersDoNot() async throws {
        try await withStorage { storage in
            let store = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
            let commits = CommitThreads()
            store.pool.add(transactionObserver: commits, extent: .observerLifetime)
            try await store.createUser(Fixtures.user("alice"))
            _ = try await withTaskExecutorPreference(store.batchWriteExecutor) {
                try await store.accept([Fixtures.message(from: "alice", to: ["alice"])])
            }
            _ = try await store.accept([Fixtures.message(from: "alice", to: ["alice"])])
            #expect(commits.onWriterThread.withLock { $0 } == [false, true, false])
            try await store.close()
        }
    }

    private func fileGrowth(accepting message: IncomingMessage) async throws -> Int {
        var growth = 0
        try await withStorage { storage in
            func size() -> Int {
                ["", "-wal"].reduce(0) { total, suffix in
                    let attributes = try? FileManager.default.attributesOfItem(atPath: storage.path + suffix)
                    return total + ((attributes?[.size] as? Int) ?? 0)
                }
            }
            let store = try SQLiteStore(path: storage.path, logger: Fixtures.logger)
            let empty = size()
            #expect(try await store.accept([message])[0].entries.count == 12)
            growth = size() - empty
            try await store.close()
        }
        return growth
    }

    private func withStorage(_ body: (SQLiteStorage) async throws -> Void) async throws {
        let storage = try SQLiteStorage()
        do {
            try await body(storage)
        } catch {
            try? await storage.destroy()
            throw error
        }
        try await storage.destroy()
    }
}

/// Whether each commit ran on the store's writer thread, in commit order.
private final class CommitThreads: TransactionObserver, Sendable {
    let onWriterThread = Mutex<[Bool]>([])

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { onWriterThread.withLock { $0.append(SQLiteStore.onWriterThread) } }
    func databaseDidRollback(_ db: Database) {}
}
