@testable import FastChatStore
import Foundation
import Testing

/// The contract and the PostgreSQL specifics, against the real server `FASTCHAT_TEST_POSTGRES_URL` names.
/// scripts/test.sh always starts one (scripts/with-postgres.sh) and sets the variable, so CI always runs these. A
/// bare `swift test` without it reports the suite as skipped, never as passed.
@Suite(.enabled(
    if: PostgresBackend.configuredURL != nil,
    "FASTCHAT_TEST_POSTGRES_URL is not set: run scripts/test.sh, or scripts/with-postgres.sh swift test"))
struct PostgresStoreTests {
    @Test(arguments: ChatStoreContract.allCases)
    func contract(_ check: ChatStoreContract) async throws {
        try await check.run(on: try PostgresBackend())
    }

    @Test func withStoreSelectsPostgresAndMigrates() async throws {
        try await withDatabase { storage in
            try await withStore(.postgres(storage.url.text), logger: Fixtures.logger) { store in
                let postgres = try #require(store as? PostgresStore)
                #expect(try await postgres.appliedMigrations() == PostgresMigrations.all.map(\.id))
                #expect(try await postgres.appliedMigrations() == [
                    "v1-accounts", "v1-sessions", "v1-mailbox", "v2-groups", "v3-nodes", "v4-blobs", "v5-login-keys",
                    "v6-blob-refs", "v7-shared-bodies", "v8-node-draining", "v9-node-load", "v10-mailbox-usage",
                ])
                try await store.close()
                await #expect(throws: StoreError.self) { try await store.user(named: "alice") }
            }
        }
    }

    /// Several nodes started together on a fresh database all migrate it at once.
    @Test func concurrentFirstOpensAllSucceed() async throws {
        try await withDatabase { storage in
            let url = storage.url.text
            try await withThrowingDiscardingTaskGroup { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await PostgresStore.withStore(url: url, logger: Fixtures.logger) { store throws in
                            #expect(try await store.appliedMigrations().count == PostgresMigrations.all.count)
                        }
                    }
                }
            }
        }
    }

    /// A database written before groups (and the node registry) existed gains them on open and keeps what it held.
    @Test func upgradesAV1Database() async throws {
        try await withDatabase { storage in
            let alice = Fixtures.user("alice", legacy: true)
            try await writeOldDatabase(storage, migrations: 3, users: [alice])

            try await PostgresStore.withStore(url: storage.url.text, logger: Fixtures.logger) { store in
                #expect(
                    try await store.appliedMigrations().suffix(9) == [
                        "v2-groups", "v3-nodes", "v4-blobs", "v5-login-keys", "v6-blob-refs", "v7-shared-bodies",
                        "v8-node-draining", "v9-node-load", "v10-mailbox-usage",
                    ])
                #expect(try await store.user(named: "alice") == alice)
                try await store.createGroup(Fixtures.group("team", by: "alice"))
                #expect(try await store.groups(of: "alice") == [GroupMembership(group: "team", role: .admin)])
                #expect(try await store.nodes().isEmpty)
            }
        }
    }

    /// The pool runs before the first statement: postgres-nio never warns that `run()` has not been called, even
    /// for statements issued the moment the store is open.
    @Test func firstStatementsDoNotWarn() async throws {
        try await withDatabase { storage in
            let (logger, records) = RecordingLogHandler.logger()
            for _ in 0..<10 {
                try await PostgresStore.withStore(url: storage.url.text, logger: logger) { store throws in
                    #expect(try await store.user(named: "alice") == nil)
                }
            }
            #expect(records.all.contains { $0.message == "PostgreSQL store open" }, "the logger was used")
            let warnings = records.all.filter { $0.level >= .warning }.map(\.message)
            #expect(warnings.isEmpty, "\(warnings)")
        }
    }

    /// Wrong credentials name the URL, with its password masked, and the server's reason.
    @Test func wrongDatabaseCannotOpen() async throws {
        let backend = try PostgresBackend()
        let url = try backend.maintenance.withDatabase("fastchat_no_such_database")
        let error = await #expect(throws: StoreError.self) {
            try await PostgresStore.withStore(url: url.text, logger: Fixtures.logger) { _ in }
        }
        guard case .cannotOpen(let sentence) = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
        #expect(sentence.contains(url.masked))
        #expect(sentence.contains("fastchat_no_such_database\" does not exist"), "\(sentence)")
    }

    /// A file from before login keys keeps its accounts' and groups' hashes (each is replaced at its first proof).
    @Test func upgradesAV4DatabaseKeepingLegacyHashes() async throws {
        try await withDatabase { storage in
            let alice = Fixtures.user("alice", legacy: true)
            let team = Fixtures.group("team", by: "alice", legacy: true)
            try await writeOldDatabase(storage, migrations: 6, users: [alice], groups: [team])

            try await PostgresStore.withStore(url: storage.url.text, logger: Fixtures.logger) { store throws in
                #expect(try await store.appliedMigrations().last == "v10-mailbox-usage")
                #expect(try await store.user(named: "alice") == alice)
                #expect(try await store.group(named: "team") == team)
                #expect(try await store.groups(of: "alice") == [GroupMembership(group: "team", role: .admin)])
                guard case .legacyHash(let hash) = team.verifier else { return }
                let key = Fixtures.bytes(32)
                #expect(try await store.upgradeGroupLogin(group: "team", legacyHash: hash, loginKey: key))
                #expect(try await store.group(named: "team")?.verifier == .loginKey(key))
            }
        }
    }

    /// A database from before shared bodies keeps its entries whole: they are delivered and acknowledged as before,
    /// beside group messages stored the new way.
    @Test func upgradesAV6DatabaseKeepingWholeEntries() async throws {
        try await withDatabase { storage in
            let throughBlobRefs = try #require(PostgresMigrations.all.firstIndex { $0.id == "v6-blob-refs" }) + 1
            try await writeOldDatabase(storage, migrations: throughBlobRefs, users: [])
            let (id, item) = (UUID(), Fixtures.bytes(300))
            try await storage.withRunner { runner in
                _ = try await runner.rows(
                    "INSERT INTO mailbox (recipient, sender, message_id, envelope, stored_at) VALUES ('bob', 'alice', $1, $2, $3)",
                    [id, item, UnixMillis.now().millis])
            }

            try await PostgresStore.withStore(url: storage.url.text, logger: Fixtures.logger) { store in
                #expect(try await store.appliedMigrations().last == "v10-mailbox-usage")
                try await SharedBodyStorageTests.expectOldEntryStaysWhole(store, messageID: id, item: item)
            }
        }
    }

    @Test func upgradesAV5DatabaseKeepingReferencedBlobs() async throws {
        try await withDatabase { storage in
            let throughLoginKeys = try #require(PostgresMigrations.all.firstIndex { $0.id == "v5-login-keys" }) + 1
            try await writeOldDatabase(storage, migrations: throughLoginKeys, users: [])
            let (referenced, unreferenced) = (UUID(), UUID())
            try await storage.withRunner { runner in
                for (id, recipients) in [(referenced, Int64(1)), (unreferenced, Int64(-1))] {
                    try await runner.rows(
                        """
                        INSERT INTO blobs (id, uploader, size, chunk_count, complete, recipients, created_at)
                        VALUES ($1, 'alice', 4, 1, TRUE, NULLIF($2, -1), $3)
                        """,
                        [id, recipients, UnixMillis.now().millis])
                    try await runner.rows(
                        "INSERT INTO blob_chunks (blob_id, idx, data) VALUES ($1, 0, '\\x01020304'::bytea)", [id])
                }
            }

            try await PostgresStore.withStore(url: storage.url.text, logger: Fixtures.logger) { store in
                #expect(try await store.appliedMigrations().last == "v10-mailbox-usage")
                try await BlobStoreTests.expectLegacyRules(store, referenced: referenced, unreferenced: unreferenced)
            }
        }
    }

    /// Writes the database as a release before login keys would have: the first `migrations` migrations (at most
    /// the six before "v5-login-keys"), holding `users` and `groups` with legacy hashes.
    private func writeOldDatabase(
        _ storage: PostgresStorage, migrations: Int, users: [UserRecord], groups: [GroupRecord] = []
    ) async throws {
        try await storage.withRunner { runner in
            try await runner.transaction { runner in
                try await runner.rows(PostgresStatements.createMigrationsTable)
                for migration in PostgresMigrations.all.prefix(migrations) {
                    for statement in migration.statements {
                        try await runner.rows(statement)
                    }
                    try await runner.rows(PostgresStatements.insertAppliedMigration, [migration.id, Int64(0)])
                }
                for user in users {
                    try await runner.rows(
                        """
                        INSERT INTO users (username, auth_hash, kdf_log2n, kdf_r, kdf_p, signing_key, agreement_key,
                                           key_backup, created_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                        """,
                        [
                            user.username, user.verifier.legacyHashColumn ?? "", user.kdfLog2N, user.kdfR, user.kdfP,
                            user.signingKey, user.agreementKey, user.keyBackup, UnixMillis.from(user.createdAt),
                        ])
                }
                for group in groups {
                    try await runner.rows(
                        """
                        INSERT INTO groups (name, password_hash, kdf_log2n, kdf_r, kdf_p, created_by, created_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7)
                        """,
                        [
                            group.name, group.verifier.legacyHashColumn ?? "", group.kdfLog2N, group.kdfR, group.kdfP,
                            group.createdBy, UnixMillis.from(group.createdAt),
                        ])
                    try await runner.rows(
                        PostgresStatements.insertMember,
                        [group.name, group.createdBy, GroupRole.admin.rawValue, UnixMillis.from(group.createdAt)])
                }
            }
        }
    }

    func withDatabase(_ body: (PostgresStorage) async throws -> Void) async throws {
        let storage = try await PostgresBackend().makeDatabase()
        do {
            try await body(storage)
        } catch {
            try? await storage.destroy()
            throw error
        }
        try await storage.destroy()
    }
}

/// What needs no server: always runs.
@Suite struct PostgresOpeningTests {
    /// Nothing listens on port 1, so the connection is refused at once.
    @Test func unreachableServerCannotOpenWithMaskedURL() async throws {
        let url = "postgres://fastchat:s3cret@127.0.0.1:1/fastchat"
        let error = await #expect(throws: StoreError.self) {
            try await withStore(.postgres(url), logger: Fixtures.logger) { _ in }
        }
        guard case .cannotOpen(let sentence) = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
        #expect(sentence.contains("postgres://fastchat:***@127.0.0.1:1/fastchat"), "\(sentence)")
        #expect(!sentence.contains("s3cret"))
        #expect(sentence.hasPrefix("Cannot connect to the PostgreSQL database"))
        #expect(sentence.hasSuffix("."))
    }

    @Test(arguments: [
        ("postgres://fastchat:secret@db.example:5433/chat", "postgres://fastchat:***@db.example:5433/chat"),
        ("postgresql://u:p%40ss@h/db?sslmode=disable", "postgresql://u:***@h/db?sslmode=disable"),
        ("postgres://fastchat@127.0.0.1:5432/fastchat", "postgres://fastchat@127.0.0.1:5432/fastchat"),
        ("postgres://db.example/chat", "postgres://db.example/chat"),
    ])
    func masksPasswords(_ text: String, _ masked: String) throws {
        #expect(try PostgresURL(parsing: text).masked == masked)
    }

    @Test func parsesTheParts() throws {
        let url = try PostgresURL(parsing: "postgres://fastchat:p%40ss@db.example:5433/chat?sslmode=require")
        #expect(url.host == "db.example")
        #expect(url.port == 5433)
        #expect(url.username == "fastchat")
        #expect(url.password == "p@ss")
        #expect(url.database == "chat")
        #expect(url.tlsMode == .require)
        #expect(url.rootCertificateFile == nil)
        let pinned = try PostgresURL(parsing: "postgres://fastchat@db.example/chat?sslmode=require&sslrootcert=/etc/pg-ca.pem")
        #expect(pinned.tlsMode == .require)
        #expect(pinned.rootCertificateFile == "/etc/pg-ca.pem")

        let defaults = try PostgresURL(parsing: "postgres://fastchat@db.example")
        #expect(defaults.port == 5432)
        #expect(defaults.password == nil)
        #expect(defaults.database == "fastchat", "like libpq, the database defaults to the user's name")
        #expect(try defaults.withDatabase("other").database == "other")
    }

    @Test(arguments: ["postgres://", "postgres:///nohost", "postgres://h/db?sslmode=verify-full"])
    func rejectsMalformedURLs(_ text: String) async throws {
        await #expect(throws: StoreError.self) {
            try await PostgresStore.withStore(url: text, logger: Fixtures.logger) { _ in }
        }
    }
}
