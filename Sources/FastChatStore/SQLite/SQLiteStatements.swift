/// Every SQL statement the SQLite store runs outside migrations.
///
/// GRDB binds an empty `Data` as NULL, hence `coalesce(?, x'')` for blobs that may legitimately be
/// empty. Column lists are spelled out (never `*`) so the row decoders in `SQLiteRows.swift` keep working
/// when a migration adds columns.
enum SQLiteStatements {
    // MARK: Accounts

    static let insertUser = """
        INSERT INTO users (username, auth_hash, login_key, kdf_log2n, kdf_r, kdf_p,
                           signing_key, agreement_key, key_backup, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, x''), ?)
        ON CONFLICT (username) DO NOTHING
        """

    static let selectUser = """
        SELECT username, auth_hash, login_key, kdf_log2n, kdf_r, kdf_p,
               signing_key, agreement_key, key_backup, created_at
        FROM users WHERE username = ?
        """

    /// Only while the account still holds `auth_hash`: a password changed meanwhile is never overwritten.
    static let upgradeUserLogin = """
        UPDATE users SET login_key = ?, auth_hash = NULL WHERE username = ? AND auth_hash = ?
        """

    static let changePassword = """
        UPDATE users SET login_key = ?, auth_hash = NULL, kdf_log2n = ?, kdf_r = ?, kdf_p = ?, key_backup = ?
        WHERE username = ?
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

    /// The last key a sweep step looks at: the one `OFFSET` places after the first key after the cursor. None when
    /// fewer are left, and the step goes to the end.
    static let acceptedMessageKeyAfter = """
        SELECT sender, message_id FROM accepted_messages WHERE (sender, message_id) > (?, ?)
        ORDER BY sender, message_id LIMIT 1 OFFSET ?
        """

    static let forgetAcceptedMessagesBetween = """
        DELETE FROM accepted_messages
        WHERE (sender, message_id) > (?, ?) AND (sender, message_id) <= (?, ?) AND accepted_at < ?
        """

    static let forgetAcceptedMessagesAfter = """
        DELETE FROM accepted_messages WHERE (sender, message_id) > (?, ?) AND accepted_at < ?
        """

    static let insertMailboxEntry = """
        INSERT INTO mailbox (recipient, sender, message_id, envelope, has_body, stored_at)
        VALUES (?, ?, ?, coalesce(?, x''), ?, ?)
        """

    /// Once per message: a duplicate never gets this far, and a body already there is kept as it is.
    static let insertMessageBody = """
        INSERT INTO message_bodies (sender, message_id, body) VALUES (?, ?, coalesce(?, x''))
        ON CONFLICT (sender, message_id) DO NOTHING
        """

    /// A recipient's entries and their bytes, each with its shared body (what they will receive), for the quota: no
    /// row while their mailbox is empty. Kept by triggers (migration v10-mailbox-usage).
    static let selectMailboxUsage = "SELECT entries, bytes FROM mailbox_usage WHERE recipient = ?"

    /// Its columns, in this order, are what `MailboxEntry(sqliteRow:)` reads, as are `deleteMailboxEntries`'.
    static let selectPending = """
        SELECT m.seq, m.recipient, m.sender, m.message_id, m.envelope, m.stored_at, m.has_body, b.body
        FROM mailbox m LEFT JOIN message_bodies b
          ON m.has_body AND b.sender = m.sender AND b.message_id = m.message_id
        WHERE m.recipient = ? AND m.seq > ?
        ORDER BY m.seq LIMIT ?
        """

    /// The recipient's entries among the seqs given (a JSON array), each with its shared body, read before the body
    /// may go (`deleteBodyIfUnreferenced`). In no particular order.
    static let deleteMailboxEntries = """
        DELETE FROM mailbox WHERE recipient = ? AND seq IN (SELECT value FROM json_each(?))
        RETURNING seq, recipient, sender, message_id, envelope, stored_at, has_body,
            (SELECT b.body FROM message_bodies b
             WHERE mailbox.has_body AND b.sender = mailbox.sender AND b.message_id = mailbox.message_id) AS body
        """

    /// After an acknowledgement deleted an entry sharing it: gone once no entry refers to it any more.
    /// Arguments: sender, message id, twice.
    static let deleteBodyIfUnreferenced = """
        DELETE FROM message_bodies WHERE sender = ? AND message_id = ?
          AND NOT EXISTS (SELECT 1 FROM mailbox WHERE has_body AND sender = ? AND message_id = ?)
        """

    // MARK: Groups

    static let insertGroup = """
        INSERT INTO groups (name, password_hash, login_key, kdf_log2n, kdf_r, kdf_p, created_by, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (name) DO NOTHING
        """

    static let selectGroup = """
        SELECT name, password_hash, login_key, kdf_log2n, kdf_r, kdf_p, created_by, created_at
        FROM groups WHERE name = ?
        """

    static let selectGroupExists = "SELECT 1 FROM groups WHERE name = ?"

    static let updateGroupPassword = """
        UPDATE groups SET login_key = ?, password_hash = NULL, kdf_log2n = ?, kdf_r = ?, kdf_p = ? WHERE name = ?
        """

    /// Only while the group still holds `password_hash`: a password changed meanwhile is never overwritten.
    static let upgradeGroupLogin = """
        UPDATE groups SET login_key = ?, password_hash = NULL WHERE name = ? AND password_hash = ?
        """

    /// Memberships and bans go with it (ON DELETE CASCADE).
    static let deleteGroup = "DELETE FROM groups WHERE name = ?"

    /// Changes nothing for an existing member: that is the "already a member" check.
    static let insertMember = """
        INSERT INTO group_members (group_name, username, role, joined_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (group_name, username) DO NOTHING
        """

    /// Other members, no more than the limit asked: enough to tell whether a group is full.
    static let selectOtherMembersUpTo = "SELECT 1 FROM group_members WHERE group_name = ? AND username <> ? LIMIT ?"

    static let selectMembers = """
        SELECT username, role, joined_at
        FROM group_members WHERE group_name = ?
        ORDER BY joined_at, username
        """

    static let selectMemberships = """
        SELECT group_name, role
        FROM group_members WHERE username = ?
        ORDER BY group_name
        """

    static let updateMemberRole = "UPDATE group_members SET role = ? WHERE group_name = ? AND username = ?"

    static let deleteMember = "DELETE FROM group_members WHERE group_name = ? AND username = ?"

    static let selectBanExists = "SELECT 1 FROM group_bans WHERE group_name = ? AND username = ?"

    static let insertBan = """
        INSERT INTO group_bans (group_name, username, banned_by, banned_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (group_name, username) DO NOTHING
        """

    static let deleteBan = "DELETE FROM group_bans WHERE group_name = ? AND username = ?"

    // MARK: Nodes

    static let upsertNode = """
        INSERT INTO nodes (name, address, pid, connections, started_at, heartbeat_at, draining)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET
            address = excluded.address, pid = excluded.pid, connections = excluded.connections,
            started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
            draining = excluded.draining
        """

    static let updateHeartbeat = """
        UPDATE nodes SET connections = ?, messages_per_second = ?, mailbox_pending = ?, heartbeat_at = ?
        WHERE name = ?
        """

    static let selectNodes = """
        SELECT name, address, pid, connections, started_at, heartbeat_at, messages_per_second, mailbox_pending,
            draining
        FROM nodes ORDER BY name
        """

    static let drainNode = "UPDATE nodes SET draining = 1 WHERE name = ?"

    static let deleteNode = "DELETE FROM nodes WHERE name = ?"

    static let deleteStaleNodes = "DELETE FROM nodes WHERE heartbeat_at < ? RETURNING name"

    // MARK: Inspection

    static let journalMode = "PRAGMA journal_mode"

    // MARK: Blobs

    static let selectBlob = "SELECT uploader, chunk_count, complete, recipients FROM blobs WHERE id = ?"

    /// The announced sizes of an uploader's stored blobs, for the upload quota.
    static let selectUploadedBytes = "SELECT COALESCE(SUM(size), 0) FROM blobs WHERE uploader = ?"

    static let insertBlob = """
        INSERT INTO blobs (id, uploader, size, chunk_count, complete, recipients, created_at)
        VALUES (?, ?, ?, 0, 0, NULL, ?)
        """

    static let insertBlobChunk = "INSERT INTO blob_chunks (blob_id, idx, data) VALUES (?, ?, coalesce(?, x''))"

    static let advanceBlob = "UPDATE blobs SET chunk_count = chunk_count + 1, complete = ? WHERE id = ?"

    /// Served only to its uploader and to the recipients of entries linked to it (and, for a blob referred to
    /// before links existed, `recipients` set, to anyone signed in); to anyone else it is as missing as no blob.
    static let selectBlobChunk = """
        SELECT c.data, c.idx = b.chunk_count - 1 AS last
        FROM blob_chunks c JOIN blobs b ON b.id = c.blob_id
        WHERE c.blob_id = ? AND c.idx = ? AND b.complete
          AND (b.uploader = ? OR b.recipients IS NOT NULL
               OR EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = b.id AND r.recipient = ?))
        """

    static let selectCompleteBlob = "SELECT 1 FROM blobs WHERE id = ? AND uploader = ? AND complete"

    static let selectAcceptedMessage = "SELECT 1 FROM accepted_messages WHERE sender = ? AND message_id = ?"

    /// A `BlobLink`: arguments recipient, fromSeq, messageID, blob, sender.
    static let linkBlob = """
        INSERT INTO blob_refs (blob_id, recipient, seq)
        SELECT b.id, m.recipient, m.seq
        FROM blobs b JOIN mailbox m
          ON m.recipient = ? AND m.seq >= ? AND m.sender = b.uploader AND m.message_id = ?
        WHERE b.id = ? AND b.uploader = ? AND b.complete
        ON CONFLICT DO NOTHING
        """

    /// Arguments: the seqs of deleted entries, a JSON array.
    static let unlinkEntriesBlobs = """
        DELETE FROM blob_refs WHERE seq IN (SELECT value FROM json_each(?)) RETURNING blob_id
        """

    /// After an acknowledgement unlinked it: gone once no entry refers to it any more.
    static let deleteBlobIfUnlinked = """
        DELETE FROM blobs WHERE id = ? AND NOT EXISTS (SELECT 1 FROM blob_refs WHERE blob_id = ?)
        """

    static let deleteBlobsCreatedBefore = "DELETE FROM blobs WHERE created_at < ?"

    static let deleteUnreferencedBlobsCreatedBefore = """
        DELETE FROM blobs WHERE recipients IS NULL AND created_at < ?
          AND NOT EXISTS (SELECT 1 FROM blob_refs WHERE blob_id = blobs.id)
        """
}
