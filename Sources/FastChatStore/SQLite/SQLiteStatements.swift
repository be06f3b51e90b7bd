/// Every SQL statement the SQLite store runs outside migrations.
///
/// GRDB binds an empty `Data` as NULL, hence `coalesce(?, x'')` for blobs that may legitimately be
/// empty. Column lists are spelled out (never `*`) so the row decoders in `SQLiteRows.swift` keep working
/// when a migration adds columns.
enum SQLiteStatements {
    // MARK: Accounts

    static let insertUser = """
        INSERT INTO users (username, auth_hash, kdf_log2n, kdf_r, kdf_p,
                           signing_key, agreement_key, key_backup, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, coalesce(?, x''), ?)
        ON CONFLICT (username) DO NOTHING
        """

    static let selectUser = """
        SELECT username, auth_hash, kdf_log2n, kdf_r, kdf_p,
               signing_key, agreement_key, key_backup, created_at
        FROM users WHERE username = ?
        """

    // MARK: Sessions

    static let insertSession = """
        INSERT INTO sessions (username, node, opened_at) VALUES (?, ?, ?)
        ON CONFLICT (username) DO NOTHING
        """

    static let selectSessionNode = "SELECT node FROM sessions WHERE username = ?"

    static let deleteSession = "DELETE FROM sessions WHERE username = ? AND node = ?"

    static let deleteNodeSessions = "DELETE FROM sessions WHERE node = ?"

    // MARK: Mailbox

    /// Changes nothing for a `(sender, message_id)` seen before: that is the duplicate check.
    static let claimMessageID = """
        INSERT INTO accepted_messages (sender, message_id, accepted_at) VALUES (?, ?, ?)
        ON CONFLICT (sender, message_id) DO NOTHING
        """

    static let insertMailboxEntry = """
        INSERT INTO mailbox (recipient, sender, message_id, envelope, stored_at)
        VALUES (?, ?, ?, coalesce(?, x''), ?)
        """

    static let selectPending = """
        SELECT seq, recipient, sender, message_id, envelope, stored_at
        FROM mailbox WHERE recipient = ? AND seq > ?
        ORDER BY seq LIMIT ?
        """

    static let deleteMailboxEntry = """
        DELETE FROM mailbox WHERE seq = ? AND recipient = ?
        RETURNING seq, recipient, sender, message_id, envelope, stored_at
        """

    // MARK: Inspection

    static let journalMode = "PRAGMA journal_mode"
}
