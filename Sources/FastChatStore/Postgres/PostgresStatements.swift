/// Every SQL statement the PostgreSQL store runs (the DDL lives in `PostgresMigrations`). Column lists are spelled
/// out (never `*`) so the row decoders in `PostgresRows.swift` keep working when a migration adds columns.
/// Statements that must report whether they changed something return a row per change (`RETURNING`).
enum PostgresStatements {
    // MARK: Locks

    /// `pg_advisory_xact_lock` keys: held until the transaction ends. Any two 64-bit constants would do; these spell
    /// "FastChat" and "FastChaM" in ASCII so that they are recognisable in `pg_locks`.
    static let migrationLockKey: Int64 = 0x4661_7374_4368_6174
    static let mailboxLockKey: Int64 = 0x4661_7374_4368_614D

    static let advisoryTransactionLock = "SELECT pg_advisory_xact_lock($1)"

    // MARK: Migrations

    static let createMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            id TEXT PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )
        """

    static let selectAppliedMigrations = "SELECT id FROM schema_migrations"

    static let insertAppliedMigration = "INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)"

    static let selectAppliedMigrationsInOrder = "SELECT id FROM schema_migrations ORDER BY applied_at, id"

    // MARK: Transactions

    static let begin = "BEGIN"
    static let commit = "COMMIT"
    static let rollback = "ROLLBACK"

    // MARK: Accounts
    //
    // Binds cannot be NULL here (binds are existentials), so the verifier column not in use is bound empty and
    // NULLIF turns it into the NULL the schema's CHECK expects.

    static let insertUser = """
        INSERT INTO users (username, auth_hash, login_key, kdf_log2n, kdf_r, kdf_p,
                           signing_key, agreement_key, key_backup, created_at)
        VALUES ($1, NULLIF($2, ''), NULLIF($3, ''::bytea), $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (username) DO NOTHING
        RETURNING 1
        """

    static let selectUser = """
        SELECT username, auth_hash, login_key, kdf_log2n, kdf_r, kdf_p,
               signing_key, agreement_key, key_backup, created_at
        FROM users WHERE username = $1
        """

    /// Only while the account still holds `auth_hash`: a password changed meanwhile is never overwritten.
    static let upgradeUserLogin = """
        UPDATE users SET login_key = $1, auth_hash = NULL WHERE username = $2 AND auth_hash = $3
        RETURNING 1
        """

    static let changePassword = """
        UPDATE users SET login_key = $1, auth_hash = NULL, kdf_log2n = $2, kdf_r = $3, kdf_p = $4, key_backup = $5
        WHERE username = $6
        RETURNING 1
        """

    // MARK: Sessions

    static let insertSession = """
        INSERT INTO sessions (username, node, opened_at) VALUES ($1, $2, $3)
        ON CONFLICT (username) DO NOTHING
        RETURNING 1
        """

    static let selectSessionNode = "SELECT node FROM sessions WHERE username = $1"

    static let selectSessionNodes = "SELECT username, node FROM sessions WHERE username = ANY($1)"

    static let deleteSession = "DELETE FROM sessions WHERE username = $1 AND node = $2"

    static let deleteNodeSessions = "DELETE FROM sessions WHERE node = $1 RETURNING 1"

    static let deleteSessionsOfNodes = "DELETE FROM sessions WHERE node = ANY($1::text[])"

    // MARK: Mailbox

    /// Returns the `(sender, message_id)` pairs not seen before: the others are duplicates. A pair repeated within
    /// the array is inserted (and returned) once.
    static let claimMessageIDs = """
        INSERT INTO accepted_messages (sender, message_id, accepted_at)
        SELECT sender, message_id, $3 FROM UNNEST($1::text[], $2::uuid[]) AS claim(sender, message_id)
        ON CONFLICT (sender, message_id) DO NOTHING
        RETURNING sender, message_id
        """

    /// The last key a sweep step looks at: the one `OFFSET` places after the first key after the cursor. None when
    /// fewer are left, and the step goes to the end.
    static let acceptedMessageKeyAfter = """
        SELECT sender, message_id FROM accepted_messages WHERE (sender, message_id) > ($1, $2)
        ORDER BY sender, message_id LIMIT 1 OFFSET $3
        """

    static let forgetAcceptedMessagesBetween = """
        DELETE FROM accepted_messages
        WHERE (sender, message_id) > ($1, $2) AND (sender, message_id) <= ($3, $4) AND accepted_at < $5
        RETURNING 1
        """

    static let forgetAcceptedMessagesAfter = """
        DELETE FROM accepted_messages WHERE (sender, message_id) > ($1, $2) AND accepted_at < $3 RETURNING 1
        """

    /// One row per array element, given seqs in the arrays' order (`ORDER BY ordinality` feeds the identity in that
    /// order), so the returned seqs, sorted, line up with the input.
    static let insertMailboxEntries = """
        INSERT INTO mailbox (recipient, sender, message_id, envelope, has_body, stored_at)
        SELECT recipient, sender, message_id, envelope, has_body, $6
        FROM UNNEST($1::text[], $2::text[], $3::uuid[], $4::bytea[], $5::boolean[])
             WITH ORDINALITY AS entry(recipient, sender, message_id, envelope, has_body, position)
        ORDER BY position
        RETURNING seq
        """

    /// Once per message: duplicates never get this far, and a body already there is kept as it is.
    static let insertMessageBodies = """
        INSERT INTO message_bodies (sender, message_id, body)
        SELECT sender, message_id, body FROM UNNEST($1::text[], $2::uuid[], $3::bytea[]) AS shared(sender, message_id, body)
        ON CONFLICT (sender, message_id) DO NOTHING
        """

    static let selectPending = """
        SELECT m.seq, m.recipient, m.sender, m.message_id, m.envelope, m.stored_at, m.has_body, b.body
        FROM mailbox m LEFT JOIN message_bodies b
          ON m.has_body AND b.sender = m.sender AND b.message_id = m.message_id
        WHERE m.recipient = $1 AND m.seq > $2
        ORDER BY m.seq LIMIT $3
        """

    /// The entries named by (recipient, seq) pairs, as two parallel arrays: a whole batch of acknowledgements in
    /// one statement. Each with its shared body, read before the body may go (`deleteUnreferencedBodies`).
    static let deleteMailboxEntries = """
        DELETE FROM mailbox m USING unnest($1::text[], $2::bigint[]) AS a(recipient, seq)
        WHERE m.recipient = a.recipient AND m.seq = a.seq
        RETURNING m.seq, m.recipient, m.sender, m.message_id, m.envelope, m.stored_at, m.has_body,
            (SELECT b.body FROM message_bodies b
             WHERE m.has_body AND b.sender = m.sender AND b.message_id = m.message_id)
        """

    /// Before deciding whether they are still referred to (arrays: sender, message id): a concurrent
    /// acknowledgement of the same bodies waits here, and its check below then sees this one's deletions.
    static let lockBodies = """
        SELECT 1 FROM message_bodies b
        JOIN UNNEST($1::text[], $2::uuid[]) AS d(sender, message_id)
          ON b.sender = d.sender AND b.message_id = d.message_id
        ORDER BY b.sender, b.message_id
        FOR UPDATE OF b
        """

    static let deleteUnreferencedBodies = """
        DELETE FROM message_bodies b USING UNNEST($1::text[], $2::uuid[]) AS d(sender, message_id)
        WHERE b.sender = d.sender AND b.message_id = d.message_id
          AND NOT EXISTS (SELECT 1 FROM mailbox m WHERE m.has_body AND m.sender = b.sender AND m.message_id = b.message_id)
        """

    // MARK: Groups

    static let insertGroup = """
        INSERT INTO groups (name, password_hash, login_key, kdf_log2n, kdf_r, kdf_p, created_by, created_at)
        VALUES ($1, NULLIF($2, ''), NULLIF($3, ''::bytea), $4, $5, $6, $7, $8)
        ON CONFLICT (name) DO NOTHING
        RETURNING 1
        """

    static let selectGroup = """
        SELECT name, password_hash, login_key, kdf_log2n, kdf_r, kdf_p, created_by, created_at
        FROM groups WHERE name = $1
        """

    /// Joins share the group row; removals and deletion take it exclusively, so a join never slips between a
    /// removal's check and its ban.
    static let lockGroupForChange = "SELECT 1 FROM groups WHERE name = $1 FOR NO KEY UPDATE"

    static let updateGroupPassword = """
        UPDATE groups SET login_key = $1, password_hash = NULL, kdf_log2n = $2, kdf_r = $3, kdf_p = $4 WHERE name = $5
        RETURNING 1
        """

    /// Only while the group still holds `password_hash`: a password changed meanwhile is never overwritten.
    static let upgradeGroupLogin = """
        UPDATE groups SET login_key = $1, password_hash = NULL WHERE name = $2 AND password_hash = $3
        RETURNING 1
        """

    /// Memberships and bans go with it (ON DELETE CASCADE).
    static let deleteGroup = "DELETE FROM groups WHERE name = $1"

    /// Returns nothing for an existing member: that is the "already a member" check.
    static let insertMember = """
        INSERT INTO group_members (group_name, username, role, joined_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (group_name, username) DO NOTHING
        RETURNING 1
        """

    /// Other members, no more than the limit asked: enough to tell whether a group is full.
    static let selectOtherMembersUpTo = "SELECT 1 FROM group_members WHERE group_name = $1 AND username <> $2 LIMIT $3"

    /// Each recipient's entries and their bytes, each with its shared body (what they will receive), for the quota.
    /// Kept by a trigger (migration v10-mailbox-usage): what was stored less what was deleted; no row for a mailbox
    /// never written to.
    static let selectMailboxUsage = """
        SELECT u.recipient, u.entries - COALESCE(r.entries, 0), u.bytes - COALESCE(r.bytes, 0)
        FROM mailbox_usage u LEFT JOIN mailbox_released r ON r.recipient = u.recipient
        WHERE u.recipient = ANY($1)
        """

    static let selectMembers = """
        SELECT username, role, joined_at
        FROM group_members WHERE group_name = $1
        ORDER BY joined_at, username
        """

    static let selectMemberships = """
        SELECT group_name, role
        FROM group_members WHERE username = $1
        ORDER BY group_name
        """

    static let updateMemberRole = """
        UPDATE group_members SET role = $1 WHERE group_name = $2 AND username = $3 RETURNING 1
        """

    static let deleteMember = "DELETE FROM group_members WHERE group_name = $1 AND username = $2 RETURNING 1"

    static let selectBanExists = "SELECT 1 FROM group_bans WHERE group_name = $1 AND username = $2"

    static let insertBan = """
        INSERT INTO group_bans (group_name, username, banned_by, banned_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (group_name, username) DO NOTHING
        """

    static let deleteBan = "DELETE FROM group_bans WHERE group_name = $1 AND username = $2 RETURNING 1"

    // MARK: Nodes

    static let upsertNode = """
        INSERT INTO nodes (name, address, pid, connections, started_at, heartbeat_at, draining)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (name) DO UPDATE SET
            address = excluded.address, pid = excluded.pid, connections = excluded.connections,
            started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
            draining = excluded.draining
        """

    static let updateHeartbeat = """
        UPDATE nodes SET connections = $1, messages_per_second = $2, mailbox_pending = $3, heartbeat_at = $4
        WHERE name = $5 RETURNING 1
        """

    static let selectNodes = """
        SELECT name, address, pid, connections, started_at, heartbeat_at, messages_per_second, mailbox_pending,
            draining
        FROM nodes ORDER BY name
        """

    static let drainNode = "UPDATE nodes SET draining = TRUE WHERE name = $1 RETURNING 1"

    static let deleteNode = "DELETE FROM nodes WHERE name = $1"

    static let deleteStaleNodes = """
        WITH stale AS (DELETE FROM nodes WHERE heartbeat_at < $1 RETURNING name)
        SELECT name FROM stale ORDER BY name
        """
}
