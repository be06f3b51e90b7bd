import Foundation
import PostgresNIO

// Decoders for the column lists in `PostgresStatements`, and the binds of the statements that take a whole record.

extension UserRecord {
    init(postgresRow row: PostgresRow) throws {
        let (username, authHash, loginKey, kdfLog2N, kdfR, kdfP, signingKey, agreementKey, keyBackup, createdAt) =
            try row.decode((String, String?, Data?, Int, Int, Int, Data, Data, Data, Int64).self)
        self.init(
            username: username, verifier: PasswordVerifier(loginKey: loginKey, legacyHash: authHash), kdfLog2N: kdfLog2N, kdfR: kdfR, kdfP: kdfP,
            signingKey: signingKey, agreementKey: agreementKey, keyBackup: keyBackup,
            createdAt: UnixMillis.date(createdAt))
    }

    var postgresBinds: [any PostgresThrowingDynamicTypeEncodable] {
        [
            username, verifier.legacyHashColumn ?? "", verifier.loginKeyColumn ?? Data(), kdfLog2N, kdfR, kdfP, signingKey, agreementKey,
            keyBackup, UnixMillis.from(createdAt),
        ]
    }
}

extension AcceptedMessageKey {
    /// From a row of `sender, message_id`.
    init(postgresRow row: PostgresRow) throws {
        let (sender, messageID) = try row.decode((String, UUID).self)
        self.init(sender: sender, messageID: messageID)
    }
}

extension MailboxEntry {
    init(postgresRow row: PostgresRow) throws {
        let (seq, recipient, sender, messageID, envelope, storedAt, hasBody, body) =
            try row.decode((Int64, String, String, UUID, Data, Int64, Bool, Data?).self)
        self.init(
            seq: seq, recipient: recipient, sender: sender, messageID: messageID, ownBytes: envelope,
            sharedBody: hasBody ? body ?? Data() : nil, storedAt: UnixMillis.date(storedAt))
    }
}

extension GroupRecord {
    init(postgresRow row: PostgresRow) throws {
        let (name, passwordHash, loginKey, kdfLog2N, kdfR, kdfP, createdBy, createdAt) =
            try row.decode((String, String?, Data?, Int, Int, Int, String, Int64).self)
        self.init(
            name: name, verifier: PasswordVerifier(loginKey: loginKey, legacyHash: passwordHash), kdfLog2N: kdfLog2N, kdfR: kdfR, kdfP: kdfP,
            createdBy: createdBy, createdAt: UnixMillis.date(createdAt))
    }

    var postgresBinds: [any PostgresThrowingDynamicTypeEncodable] {
        [name, verifier.legacyHashColumn ?? "", verifier.loginKeyColumn ?? Data(), kdfLog2N, kdfR, kdfP, createdBy, UnixMillis.from(createdAt)]
    }
}

extension GroupMember {
    init(postgresRow row: PostgresRow) throws {
        let (username, role, joinedAt) = try row.decode((String, String, Int64).self)
        // The CHECK constraint admits only the raw values; another would read as the least-privileged role.
        self.init(username: username, role: GroupRole(rawValue: role) ?? .member, joinedAt: UnixMillis.date(joinedAt))
    }
}

extension GroupMembership {
    init(postgresRow row: PostgresRow) throws {
        let (group, role) = try row.decode((String, String).self)
        self.init(group: group, role: GroupRole(rawValue: role) ?? .member)
    }
}

extension NodeRecord {
    init(postgresRow row: PostgresRow) throws {
        let (name, address, pid, connections, startedAt, heartbeatAt, messagesPerSecond, mailboxPending, draining) =
            try row.decode((String, String, Int, Int, Int64, Int64, Double, Int, Bool).self)
        self.init(
            name: name, address: address, pid: pid, connections: connections,
            startedAt: UnixMillis.date(startedAt), heartbeatAt: UnixMillis.date(heartbeatAt),
            messagesPerSecond: messagesPerSecond, mailboxPending: mailboxPending, draining: draining)
    }

    var postgresBinds: [any PostgresThrowingDynamicTypeEncodable] {
        [name, address, pid, connections, UnixMillis.from(startedAt), UnixMillis.from(heartbeatAt), draining]
    }
}

extension PostgresQuery {
    /// `sql` with `$1`, `$2`, … bound to `binds`, in order.
    init(_ sql: String, _ binds: [any PostgresThrowingDynamicTypeEncodable]) throws {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            try bindings.append(value)
        }
        self.init(unsafeSQL: sql, binds: bindings)
    }
}
