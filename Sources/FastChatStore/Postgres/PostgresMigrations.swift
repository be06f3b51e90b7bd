/// The PostgreSQL schema's history, the same steps (and names) as `SQLiteMigrations`. Append new migrations; never
/// edit or remove a shipped one, since databases in the field have already recorded it as applied.
///
/// Text that is compared or sorted is `COLLATE "C"`: names compare exactly and sort in code-point order, whatever
/// locale the database was created with. Dates are BIGINT Unix milliseconds, blobs BYTEA.
enum PostgresMigrations {
    struct Migration: Sendable {
        let id: String
        let statements: [String]
    }

    static let all: [Migration] = [
        Migration(id: "v1-accounts", statements: [
            """
            CREATE TABLE IF NOT EXISTS users (
                username TEXT COLLATE "C" PRIMARY KEY,
                auth_hash TEXT NOT NULL,
                kdf_log2n BIGINT NOT NULL,
                kdf_r BIGINT NOT NULL,
                kdf_p BIGINT NOT NULL,
                signing_key BYTEA NOT NULL,
                agreement_key BYTEA NOT NULL,
                key_backup BYTEA NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
        ]),
        Migration(id: "v1-sessions", statements: [
            // The primary key on username is what makes "already logged in" hold across nodes.
            """
            CREATE TABLE IF NOT EXISTS sessions (
                username TEXT COLLATE "C" PRIMARY KEY,
                node TEXT COLLATE "C" NOT NULL,
                opened_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS sessions_on_node ON sessions (node)",
        ]),
        Migration(id: "v1-mailbox", statements: [
            // Outlives the mailbox entries it guards, so a retry after an ack is still a duplicate.
            """
            CREATE TABLE IF NOT EXISTS accepted_messages (
                sender TEXT COLLATE "C" NOT NULL,
                message_id UUID NOT NULL,
                accepted_at BIGINT NOT NULL,
                PRIMARY KEY (sender, message_id)
            )
            """,
            // An identity never hands out a value twice, even after the newest entries are acknowledged: clients
            // use seqs as delivery cursors.
            """
            CREATE TABLE IF NOT EXISTS mailbox (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                recipient TEXT COLLATE "C" NOT NULL,
                sender TEXT COLLATE "C" NOT NULL,
                message_id UUID NOT NULL,
                envelope BYTEA NOT NULL,
                stored_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS mailbox_on_recipient_seq ON mailbox (recipient, seq)",
        ]),
        Migration(id: "v2-groups", statements: [
            """
            CREATE TABLE IF NOT EXISTS groups (
                name TEXT COLLATE "C" PRIMARY KEY,
                password_hash TEXT NOT NULL,
                kdf_log2n BIGINT NOT NULL,
                kdf_r BIGINT NOT NULL,
                kdf_p BIGINT NOT NULL,
                created_by TEXT COLLATE "C" NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            // Deleting a group deletes its memberships and bans with it.
            """
            CREATE TABLE IF NOT EXISTS group_members (
                group_name TEXT COLLATE "C" NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
                username TEXT COLLATE "C" NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
                joined_at BIGINT NOT NULL,
                PRIMARY KEY (group_name, username)
            )
            """,
            // For `groups(of:)`: a user's groups, already in name order.
            "CREATE INDEX IF NOT EXISTS group_members_on_username ON group_members (username, group_name)",
            """
            CREATE TABLE IF NOT EXISTS group_bans (
                group_name TEXT COLLATE "C" NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
                username TEXT COLLATE "C" NOT NULL,
                banned_by TEXT COLLATE "C" NOT NULL,
                banned_at BIGINT NOT NULL,
                PRIMARY KEY (group_name, username)
            )
            """,
        ]),
        Migration(id: "v3-nodes", statements: [
            // The registry. Sessions refer to nodes by name without a foreign key: a node's sessions may be opened
            // before it registers, and the registry's removals delete them explicitly.
            """
            CREATE TABLE IF NOT EXISTS nodes (
                name TEXT COLLATE "C" PRIMARY KEY,
                address TEXT NOT NULL,
                pid BIGINT NOT NULL,
                connections BIGINT NOT NULL,
                started_at BIGINT NOT NULL,
                heartbeat_at BIGINT NOT NULL
            )
            """,
        ]),
        Migration(id: "v4-blobs", statements: [
            // `recipients` is NULL until a stored message refers to the blob; fetches count towards it.
            """
            CREATE TABLE IF NOT EXISTS blobs (
                id UUID PRIMARY KEY,
                uploader TEXT COLLATE "C" NOT NULL,
                size BIGINT NOT NULL,
                chunk_count BIGINT NOT NULL,
                complete BOOLEAN NOT NULL,
                recipients BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS blobs_on_created_at ON blobs (created_at)",
            """
            CREATE TABLE IF NOT EXISTS blob_chunks (
                blob_id UUID NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
                idx BIGINT NOT NULL,
                data BYTEA NOT NULL,
                PRIMARY KEY (blob_id, idx)
            )
            """,
            // Chunks are ciphertext, which does not compress: store them out of line without trying.
            "ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL",
            """
            CREATE TABLE IF NOT EXISTS blob_fetches (
                blob_id UUID NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
                recipient TEXT COLLATE "C" NOT NULL,
                PRIMARY KEY (blob_id, recipient)
            )
            """,
        ]),
        Migration(id: "v5-login-keys", statements: [
            // The public half of a login key replaces the password hash; rows made before keep their hash until
            // their first proof.
            "ALTER TABLE users ADD COLUMN IF NOT EXISTS login_key BYTEA",
            "ALTER TABLE users ALTER COLUMN auth_hash DROP NOT NULL",
            "ALTER TABLE users DROP CONSTRAINT IF EXISTS users_one_verifier",
            "ALTER TABLE users ADD CONSTRAINT users_one_verifier CHECK ((auth_hash IS NULL) <> (login_key IS NULL))",
            "ALTER TABLE groups ADD COLUMN IF NOT EXISTS login_key BYTEA",
            "ALTER TABLE groups ALTER COLUMN password_hash DROP NOT NULL",
            "ALTER TABLE groups DROP CONSTRAINT IF EXISTS groups_one_verifier",
            "ALTER TABLE groups ADD CONSTRAINT groups_one_verifier CHECK ((password_hash IS NULL) <> (login_key IS NULL))",
        ]),
        Migration(id: "v6-blob-refs", statements: [
            // Which mailbox entries refer to which blob: a blob is kept until the last of them is acknowledged (or
            // it expires), and only their recipients (and its uploader) may fetch it. Blobs referred to before this
            // migration have `recipients` set but no rows here (the old schema did not record which entries): they
            // keep the old rule, any signed-in user may fetch them, until they expire. Fetches no longer count.
            """
            CREATE TABLE IF NOT EXISTS blob_refs (
                blob_id UUID NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
                recipient TEXT COLLATE "C" NOT NULL,
                seq BIGINT NOT NULL,
                PRIMARY KEY (blob_id, recipient, seq)
            )
            """,
            // For acknowledgements, which know seqs.
            "CREATE INDEX IF NOT EXISTS blob_refs_on_seq ON blob_refs (seq)",
            "DROP TABLE IF EXISTS blob_fetches",
        ]),
        Migration(id: "v7-shared-bodies", statements: [
            // A group message's body (its ciphertext), stored once for all its recipients: their mailbox rows, marked
            // `has_body`, hold only the rest of their item, and the body goes with the last of them. Rows stored
            // before this migration keep their whole items.
            """
            CREATE TABLE IF NOT EXISTS message_bodies (
                sender TEXT COLLATE "C" NOT NULL,
                message_id UUID NOT NULL,
                body BYTEA NOT NULL,
                PRIMARY KEY (sender, message_id)
            )
            """,
            // Ciphertext, which does not compress: stored out of line without trying.
            "ALTER TABLE message_bodies ALTER COLUMN body SET STORAGE EXTERNAL",
            "ALTER TABLE mailbox ADD COLUMN IF NOT EXISTS has_body BOOLEAN NOT NULL DEFAULT FALSE",
            // For "is any row still referring to this body", asked at each acknowledgement of one.
            "CREATE INDEX IF NOT EXISTS mailbox_on_body ON mailbox (sender, message_id) WHERE has_body",
        ]),
        Migration(id: "v8-node-draining", statements: [
            "ALTER TABLE nodes ADD COLUMN IF NOT EXISTS draining BOOLEAN NOT NULL DEFAULT FALSE",
        ]),
        Migration(id: "v9-node-load", statements: [
            // What each node reports with its heartbeat besides its connections (`fastchat status`).
            "ALTER TABLE nodes ADD COLUMN IF NOT EXISTS messages_per_second DOUBLE PRECISION NOT NULL DEFAULT 0",
            "ALTER TABLE nodes ADD COLUMN IF NOT EXISTS mailbox_pending BIGINT NOT NULL DEFAULT 0",
        ]),
        Migration(id: "v10-mailbox-usage", statements: [
            // Each recipient's entries and bytes (`selectMailboxUsage`, checked for every message under the mailbox
            // lock), kept by a trigger in the transaction that changes the mailbox, instead of summed per message.
            // What was stored and what was deleted are counted in two tables: accepts (under the mailbox lock) write
            // only the first and acknowledgements (not under it) only the second, so neither ever waits for a row
            // the other holds while it waits for that lock. A body counts for each entry sharing it; it is stored
            // before its entries and deleted after them.
            """
            CREATE TABLE IF NOT EXISTS mailbox_usage (
                recipient TEXT COLLATE "C" PRIMARY KEY,
                entries BIGINT NOT NULL,
                bytes BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS mailbox_released (
                recipient TEXT COLLATE "C" PRIMARY KEY,
                entries BIGINT NOT NULL,
                bytes BIGINT NOT NULL
            )
            """,
            """
            INSERT INTO mailbox_usage (recipient, entries, bytes)
                SELECT m.recipient, COUNT(*), SUM(octet_length(m.envelope) + COALESCE(octet_length(b.body), 0))
                FROM mailbox m LEFT JOIN message_bodies b
                  ON m.has_body AND b.sender = m.sender AND b.message_id = m.message_id
                GROUP BY m.recipient
            ON CONFLICT (recipient) DO NOTHING
            """,
            """
            CREATE OR REPLACE FUNCTION mailbox_usage_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                entry mailbox;
                size BIGINT;
            BEGIN
                IF TG_OP = 'INSERT' THEN entry := NEW; ELSE entry := OLD; END IF;
                size := octet_length(entry.envelope) + COALESCE((SELECT octet_length(body) FROM message_bodies
                    WHERE entry.has_body AND sender = entry.sender AND message_id = entry.message_id), 0);
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO mailbox_usage (recipient, entries, bytes) VALUES (entry.recipient, 1, size)
                    ON CONFLICT (recipient) DO UPDATE
                        SET entries = mailbox_usage.entries + 1, bytes = mailbox_usage.bytes + size;
                ELSE
                    INSERT INTO mailbox_released (recipient, entries, bytes) VALUES (entry.recipient, 1, size)
                    ON CONFLICT (recipient) DO UPDATE
                        SET entries = mailbox_released.entries + 1, bytes = mailbox_released.bytes + size;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE OR REPLACE TRIGGER mailbox_usage_after_change AFTER INSERT OR DELETE ON mailbox
                FOR EACH ROW EXECUTE FUNCTION mailbox_usage_changed()
            """,
        ]),
    ]
}
