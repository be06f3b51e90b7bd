import Foundation
import GRDB

/// What tests look at, and how they write files as older releases did.
extension SQLiteStore: MailboxStorageInspecting {
    func mailboxStorage() async throws -> MailboxStorage {
        try await pool.read { db in
            let bodies = try Row.fetchOne(db, sql: "SELECT COUNT(*), COALESCE(SUM(length(body)), 0) FROM message_bodies")
            let entryBytes = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(length(envelope)), 0) FROM mailbox")
            return MailboxStorage(bodies: bodies?[0] ?? 0, bodyBytes: bodies?[1] ?? 0, entryBytes: entryBytes ?? 0)
        }
    }

    /// Adds a mailbox entry holding `item` whole, as a release before shared bodies ("v7-shared-bodies") stored
    /// every message.
    static func writeLegacyMailboxEntry(
        path: String, recipient: String, sender: String, messageID: UUID, item: Data
    ) throws {
        let pool = try DatabasePool(path: path, configuration: configuration(path: path))
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO mailbox (recipient, sender, message_id, envelope, stored_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [recipient, sender, messageID, item, UnixMillis.now().millis])
        }
        try pool.close()
    }

    func journalMode() async throws -> String {
        try await pool.read { db in try String.fetchOne(db, sql: SQLiteStatements.journalMode) ?? "" }
    }

    func appliedMigrations() async throws -> [String] {
        try await pool.read { db in try SQLiteMigrations.migrator.appliedMigrations(db) }
    }

    /// Writes the file as an older release would have: migrated up to `migration` only, holding `users` and
    /// `groups` (each with a legacy hash, so with any at most "v4-blobs"; groups need "v2-groups").
    static func writeFile(
        path: String, migratedUpTo migration: String, users: [UserRecord], groups: [GroupRecord] = []
    ) throws {
        let pool = try DatabasePool(path: path, configuration: configuration(path: path))
        try SQLiteMigrations.migrator.migrate(pool, upTo: migration)
        try pool.write { db in
            for user in users {
                try db.execute(
                    sql: """
                        INSERT INTO users (username, auth_hash, kdf_log2n, kdf_r, kdf_p, signing_key, agreement_key,
                                           key_backup, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        user.username, user.verifier.legacyHashColumn, user.kdfLog2N, user.kdfR, user.kdfP,
                        user.signingKey, user.agreementKey, user.keyBackup, UnixMillis.from(user.createdAt),
                    ])
            }
            for group in groups {
                try db.execute(
                    sql: """
                        INSERT INTO groups (name, password_hash, kdf_log2n, kdf_r, kdf_p, created_by, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        group.name, group.verifier.legacyHashColumn, group.kdfLog2N, group.kdfR, group.kdfP,
                        group.createdBy, UnixMillis.from(group.createdAt),
                    ])
                try db.execute(
                    sql: SQLiteStatements.insertMember,
                    arguments: [group.name, group.createdBy, GroupRole.admin.rawValue, UnixMillis.from(group.createdAt)])
            }
        }
        try pool.close()
    }

    /// Adds a complete one-chunk blob of `uploader`'s as a release before blob links ("v6-blob-refs") would have
    /// left it: `recipients` set if a stored message referred to it.
    static func writeLegacyBlob(path: String, id: UUID, uploader: String, referenced: Bool) throws {
        let pool = try DatabasePool(path: path, configuration: configuration(path: path))
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO blobs (id, uploader, size, chunk_count, complete, recipients, created_at)
                    VALUES (?, ?, 4, 1, 1, ?, ?)
                    """,
                arguments: [id, uploader, referenced ? 1 : nil, UnixMillis.now().millis])
            try db.execute(
                sql: "INSERT INTO blob_chunks (blob_id, idx, data) VALUES (?, 0, x'01020304')", arguments: [id])
        }
        try pool.close()
    }
}
