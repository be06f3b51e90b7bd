import GRDB

/// The schema's history. Append new migrations; never edit or remove a shipped one, since stores
/// in the field have already recorded it as applied.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1-accounts") { db in
            try db.create(table: "users") { t in
                t.primaryKey("username", .text)
                t.column("auth_hash", .text).notNull()
                t.column("kdf_log2n", .integer).notNull()
                t.column("kdf_r", .integer).notNull()
                t.column("kdf_p", .integer).notNull()
                t.column("signing_key", .blob).notNull()
                t.column("agreement_key", .blob).notNull()
                t.column("key_backup", .blob).notNull()
                t.column("created_at", .integer).notNull()
            }
        }

        migrator.registerMigration("v1-sessions") { db in
            // The primary key on username is what makes "already logged in" hold across nodes.
            try db.create(table: "sessions") { t in
                t.primaryKey("username", .text)
                t.column("node", .text).notNull()
                t.column("opened_at", .integer).notNull()
            }
            try db.create(index: "sessions_on_node", on: "sessions", columns: ["node"])
        }

        migrator.registerMigration("v1-mailbox") { db in
            // Outlives the mailbox entries it guards, so a retry after an ack is still a duplicate.
            try db.create(table: "accepted_messages", options: [.withoutRowID]) { t in
                t.column("sender", .text).notNull()
                t.column("message_id", .blob).notNull()
                t.column("accepted_at", .integer).notNull()
                t.primaryKey(["sender", "message_id"])
            }
            // AUTOINCREMENT so a seq is never reused, even after the newest entries are acknowledged:
            // clients use seqs as delivery cursors.
            try db.create(table: "mailbox") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("recipient", .text).notNull()
                t.column("sender", .text).notNull()
                t.column("message_id", .blob).notNull()
                t.column("envelope", .blob).notNull()
                t.column("stored_at", .integer).notNull()
            }
            try db.create(index: "mailbox_on_recipient_seq", on: "mailbox", columns: ["recipient", "seq"])
        }

        migrator.registerMigration("v2-groups") { db in
            try db.create(table: "groups") { t in
                t.primaryKey("name", .text)
                t.column("password_hash", .text).notNull()
                t.column("kdf_log2n", .integer).notNull()
                t.column("kdf_r", .integer).notNull()
                t.column("kdf_p", .integer).notNull()
                t.column("created_by", .text).notNull()
                t.column("created_at", .integer).notNull()
            }
            // Deleting a group deletes its memberships and bans with it (GRDB enables foreign keys).
            try db.create(table: "group_members", options: [.withoutRowID]) { t in
                t.column("group_name", .text).notNull().references("groups", onDelete: .cascade)
                t.column("username", .text).notNull()
                t.column("role", .text).notNull().check(sql: "role IN ('admin', 'member')")
                t.column("joined_at", .integer).notNull()
                t.primaryKey(["group_name", "username"])
            }
            // For `groups(of:)`: a user's groups, already in name order.
            try db.create(
                index: "group_members_on_username", on: "group_members", columns: ["username", "group_name"])
            try db.create(table: "group_bans", options: [.withoutRowID]) { t in
                t.column("group_name", .text).notNull().references("groups", onDelete: .cascade)
                t.column("username", .text).notNull()
                t.column("banned_by", .text).notNull()
                t.column("banned_at", .integer).notNull()
                t.primaryKey(["group_name", "username"])
            }
        }

        migrator.registerMigration("v3-nodes") { db in
            // The registry. Sessions refer to nodes by name without a foreign key: a node's sessions may be opened
            // before it registers, and the registry's removals delete them explicitly.
            try db.create(table: "nodes") { t in
                t.primaryKey("name", .text)
                t.column("address", .text).notNull()
                t.column("pid", .integer).notNull()
                t.column("connections", .integer).notNull()
                t.column("started_at", .integer).notNull()
                t.column("heartbeat_at", .integer).notNull()
            }
        }

        migrator.registerMigration("v4-blobs") { db in
            // `recipients` is NULL until a stored message refers to the blob; fetches count towards it.
            try db.create(table: "blobs") { t in
                t.primaryKey("id", .blob)
                t.column("uploader", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("chunk_count", .integer).notNull()
                t.column("complete", .boolean).notNull()
                t.column("recipients", .integer)
                t.column("created_at", .integer).notNull()
            }
            try db.create(index: "blobs_on_created_at", on: "blobs", columns: ["created_at"])
            try db.create(table: "blob_chunks", options: [.withoutRowID]) { t in
                t.column("blob_id", .blob).notNull().references("blobs", onDelete: .cascade)
                t.column("idx", .integer).notNull()
                t.column("data", .blob).notNull()
                t.primaryKey(["blob_id", "idx"])
            }
            try db.create(table: "blob_fetches", options: [.withoutRowID]) { t in
                t.column("blob_id", .blob).notNull().references("blobs", onDelete: .cascade)
                t.column("recipient", .text).notNull()
                t.primaryKey(["blob_id", "recipient"])
            }
        }

        migrator.registerMigration("v5-login-keys") { db in
            // The public half of a login key replaces the password hash; rows made before keep their hash until
            // their first proof. SQLite cannot drop NOT NULL in place, so both tables are rebuilt (the migrator
            // runs with foreign keys off and checks them at the end, so memberships and bans keep their rows).
            try SQLiteMigrations.rebuildWithLoginKey(
                "users", in: db, primaryKey: "username", hashColumn: "auth_hash",
                after: [("signing_key", .blob), ("agreement_key", .blob), ("key_backup", .blob), ("created_at", .integer)])
            try SQLiteMigrations.rebuildWithLoginKey(
                "groups", in: db, primaryKey: "name", hashColumn: "password_hash",
                after: [("created_by", .text), ("created_at", .integer)])
        }

        migrator.registerMigration("v6-blob-refs") { db in
            // Which mailbox entries refer to which blob: a blob is kept until the last of them is acknowledged (or
            // it expires), and only their recipients (and its uploader) may fetch it. Blobs referred to before this
            // migration have `recipients` set but no rows here (the old schema did not record which entries): they
            // keep the old rule, any signed-in user may fetch them, until they expire. Fetches no longer count.
            try db.create(table: "blob_refs", options: [.withoutRowID]) { t in
                t.column("blob_id", .blob).notNull().references("blobs", onDelete: .cascade)
                t.column("recipient", .text).notNull()
                t.column("seq", .integer).notNull()
                t.primaryKey(["blob_id", "recipient", "seq"])
            }
            // For acknowledgements, which know seqs.
            try db.create(index: "blob_refs_on_seq", on: "blob_refs", columns: ["seq"])
            try db.drop(table: "blob_fetches")
        }

        migrator.registerMigration("v7-shared-bodies") { db in
            // A group message's body (its ciphertext), stored once for all its recipients: their mailbox rows, marked
            // `has_body`, hold only the rest of their item, and the body goes with the last of them. A rowid table,
            // since bodies are large. Rows stored before this migration keep their whole items.
            try db.create(table: "message_bodies") { t in
                t.column("sender", .text).notNull()
                t.column("message_id", .blob).notNull()
                t.column("body", .blob).notNull()
                t.uniqueKey(["sender", "message_id"])
            }
            try db.alter(table: "mailbox") { t in
                t.add(column: "has_body", .boolean).notNull().defaults(to: false)
            }
            // For "is any row still referring to this body", asked at each acknowledgement of one.
            try db.execute(sql: "CREATE INDEX mailbox_on_body ON mailbox (sender, message_id) WHERE has_body")
        }

        migrator.registerMigration("v8-node-draining") { db in
            try db.alter(table: "nodes") { t in
                t.add(column: "draining", .boolean).notNull().defaults(to: false)
            }
        }

        migrator.registerMigration("v9-node-load") { db in
            // What each node reports with its heartbeat besides its connections (`fastchat status`).
            try db.alter(table: "nodes") { t in
                t.add(column: "messages_per_second", .double).notNull().defaults(to: 0)
                t.add(column: "mailbox_pending", .integer).notNull().defaults(to: 0)
            }
        }

        migrator.registerMigration("v10-mailbox-usage") { db in
            // Each recipient's entries and bytes (`selectMailboxUsage`, checked for every message under the write
            // lock), kept by triggers in the transaction that changes the mailbox: summing a mailbox of 10,000
            // entries took 2.7 ms, for every message to it, while every other writer waited. A body counts for each
            // entry sharing it; it is stored before its entries and deleted after them, so both triggers find it.
            try db.execute(sql: """
                CREATE TABLE mailbox_usage (
                    recipient TEXT PRIMARY KEY NOT NULL, entries INTEGER NOT NULL, bytes INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO mailbox_usage (recipient, entries, bytes)
                    SELECT m.recipient, COUNT(*), SUM(length(m.envelope) + coalesce(length(b.body), 0))
                    FROM mailbox m LEFT JOIN message_bodies b
                      ON m.has_body AND b.sender = m.sender AND b.message_id = m.message_id
                    GROUP BY m.recipient;
                CREATE TRIGGER mailbox_usage_after_insert AFTER INSERT ON mailbox BEGIN
                    INSERT INTO mailbox_usage (recipient, entries, bytes)
                    VALUES (NEW.recipient, 1, length(NEW.envelope) + coalesce((SELECT length(body) FROM message_bodies
                        WHERE NEW.has_body AND sender = NEW.sender AND message_id = NEW.message_id), 0))
                    ON CONFLICT (recipient) DO UPDATE SET entries = entries + 1, bytes = bytes + excluded.bytes;
                END;
                CREATE TRIGGER mailbox_usage_after_delete AFTER DELETE ON mailbox BEGIN
                    UPDATE mailbox_usage SET entries = entries - 1,
                        bytes = bytes - (length(OLD.envelope) + coalesce((SELECT length(body) FROM message_bodies
                            WHERE OLD.has_body AND sender = OLD.sender AND message_id = OLD.message_id), 0))
                    WHERE recipient = OLD.recipient;
                    DELETE FROM mailbox_usage WHERE recipient = OLD.recipient AND entries = 0;
                END;
                """)
        }

        return migrator
    }

    /// Recreates `table` (a text primary key, `hashColumn`, the three KDF columns, then `after`, all NOT NULL) with
    /// `hashColumn` nullable and a nullable `login_key` beside it, exactly one of the two set, and copies every row
    /// over (their login key NULL).
    private static func rebuildWithLoginKey(
        _ table: String, in db: Database, primaryKey: String, hashColumn: String,
        after: [(name: String, type: Database.ColumnType)]
    ) throws {
        let rebuilt = table + "_rebuilt"
        let kdfColumns = ["kdf_log2n", "kdf_r", "kdf_p"]
        try db.create(table: rebuilt) { t in
            t.primaryKey(primaryKey, .text)
            t.column(hashColumn, .text)
            t.column("login_key", .blob)
            for name in kdfColumns { t.column(name, .integer).notNull() }
            for column in after { t.column(column.name, column.type).notNull() }
            t.check(sql: "(\(hashColumn) IS NULL) <> (login_key IS NULL)")
        }
        let copied = ([primaryKey, hashColumn] + kdfColumns + after.map(\.name)).joined(separator: ", ")
        try db.execute(sql: "INSERT INTO \(rebuilt) (\(copied)) SELECT \(copied) FROM \(table)")
        try db.drop(table: table)
        try db.rename(table: rebuilt, to: table)
    }
}
