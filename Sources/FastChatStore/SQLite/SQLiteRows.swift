import Foundation
import GRDB

// Decoders for the column lists in `SQLiteStatements`. Internal on purpose: the public types stay
// free of GRDB so other backends can share them.

extension UserRecord {
    init(sqliteRow row: Row) {
        self.init(
            username: row["username"],
            verifier: PasswordVerifier(loginKey: row["login_key"], legacyHash: row["auth_hash"]),
            kdfLog2N: row["kdf_log2n"],
            kdfR: row["kdf_r"],
            kdfP: row["kdf_p"],
            signingKey: row["signing_key"],
            agreementKey: row["agreement_key"],
            keyBackup: row["key_backup"],
            createdAt: UnixMillis.date(row["created_at"]))
    }

    var sqliteArguments: StatementArguments {
        [
            username, verifier.legacyHashColumn, verifier.loginKeyColumn, kdfLog2N, kdfR, kdfP, signingKey, agreementKey,
            keyBackup, UnixMillis.from(createdAt),
        ]
    }
}

extension MailboxEntry {
    /// A row of `selectPending` or `deleteMailboxEntries`, read by position: read by name, GRDB lowercases each
    /// name for each row (a percent of a node's time at saturation).
    init(sqliteRow row: Row) {
        self.init(
            seq: row[0],
            recipient: row[1],
            sender: row[2],
            messageID: row[3],
            ownBytes: row[4],
            sharedBody: row[6] ? (row[7] as Data? ?? Data()) : nil,
            storedAt: UnixMillis.date(row[5]))
    }
}

extension GroupRecord {
    init(sqliteRow row: Row) {
        self.init(
            name: row["name"],
            verifier: PasswordVerifier(loginKey: row["login_key"], legacyHash: row["password_hash"]),
            kdfLog2N: row["kdf_log2n"],
            kdfR: row["kdf_r"],
            kdfP: row["kdf_p"],
            createdBy: row["created_by"],
            createdAt: UnixMillis.date(row["created_at"]))
    }

    var sqliteArguments: StatementArguments {
        [name, verifier.legacyHashColumn, verifier.loginKeyColumn, kdfLog2N, kdfR, kdfP, createdBy, UnixMillis.from(createdAt)]
    }
}

extension GroupRole {
    /// The schema's CHECK constraint admits only the raw values; should another one ever appear,
    /// it reads as the least-privileged role.
    init(sqliteValue value: String) {
        self = GroupRole(rawValue: value) ?? .member
    }
}

extension GroupMember {
    init(sqliteRow row: Row) {
        self.init(
            username: row["username"],
            role: GroupRole(sqliteValue: row["role"]),
            joinedAt: UnixMillis.date(row["joined_at"]))
    }
}

extension GroupMembership {
    init(sqliteRow row: Row) {
        self.init(group: row["group_name"], role: GroupRole(sqliteValue: row["role"]))
    }
}

extension NodeRecord {
    init(sqliteRow row: Row) {
        self.init(
            name: row["name"],
            address: row["address"],
            pid: row["pid"],
            connections: row["connections"],
            startedAt: UnixMillis.date(row["started_at"]),
            heartbeatAt: UnixMillis.date(row["heartbeat_at"]),
            messagesPerSecond: row["messages_per_second"],
            mailboxPending: row["mailbox_pending"],
            draining: row["draining"])
    }

    var sqliteArguments: StatementArguments {
        [name, address, pid, connections, UnixMillis.from(startedAt), UnixMillis.from(heartbeatAt), draining]
    }
}
