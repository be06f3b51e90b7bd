import Foundation
import GRDB
import Logging

/// The embedded backend: one SQLite file in WAL mode, which several server processes on the same
/// machine may share.
public final class SQLiteStore: ChatStore {
    public let path: String
    let pool: DatabasePool
    let turns: SQLiteWriteTurns
    let checkpoints: SQLiteCheckpoints
    private let logger: Logger

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Throws `StoreError.cannotOpen` with a sentence naming the path and the cause.
    public convenience init(path: String, logger: Logger) throws {
        try self.init(path: path, logger: logger, checkpoints: SQLiteCheckpoints(databasePath: path))
    }

    /// `checkpoints`: how the log is kept to a size (tests make it small).
    init(path: String, logger: Logger, checkpoints: SQLiteCheckpoints) throws {
        var logger = logger
        logger[metadataKey: "database"] = "\(path)"
        try Self.createParentDirectory(of: path)
        let pool: DatabasePool
        let turns = SQLiteWriteTurns(databasePath: path, timeout: Self.busyTimeout)
        do {
            pool = try Self.openPool(path: path, turns: turns, checkpoints: checkpoints, logger: logger)
            try Self.migrate(pool, logger: logger)
        } catch {
            logger.debug("Cannot open the database", metadata: ["error": "\(error)"])
            throw StoreError.cannotOpen("Cannot open the database \(path): \(Self.reason(error)).")
        }
        self.path = path
        self.pool = pool
        self.turns = turns
        self.checkpoints = checkpoints
        self.logger = logger
        logger.debug("SQLite store open")
    }

    // MARK: Accounts

    public func createUser(_ user: UserRecord) async throws {
        let inserted = try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.insertUser).execute(arguments: user.sqliteArguments)
            return db.changesCount > 0
        }
        guard inserted else { throw StoreError.usernameTaken }
    }

    public func user(named username: String) async throws -> UserRecord? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: SQLiteStatements.selectUser), arguments: [username])
                .map(UserRecord.init(sqliteRow:))
        }
    }

    public func upgradeLogin(username: String, legacyHash: String, loginKey: Data) async throws -> Bool {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.upgradeUserLogin)
                .execute(arguments: [loginKey, username, legacyHash])
            return db.changesCount > 0
        }
    }

    public func changePassword(
        username: String, loginKey: Data, kdfLog2N: Int, kdfR: Int, kdfP: Int, keyBackup: Data
    ) async throws -> Bool {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.changePassword)
                .execute(arguments: [loginKey, kdfLog2N, kdfR, kdfP, keyBackup, username])
            return db.changesCount > 0
        }
    }

    // MARK: Sessions

    public func openSession(username: String, node: String) async throws {
        let openedAt = UnixMillis.now().millis
        let holder: String? = try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.insertSession)
                .execute(arguments: [username, node, openedAt])
            if db.changesCount > 0 { return nil }
            return try String.fetchOne(
                db.cachedStatement(sql: SQLiteStatements.selectSessionNode), arguments: [username])
        }
        if let holder { throw StoreError.alreadyLoggedIn(node: holder) }
    }

    public func closeSession(username: String, node: String) async throws {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.deleteSession).execute(arguments: [username, node])
        }
    }

    public func closeSessions(node: String) async throws -> Int {
        let count = try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.deleteNodeSessions).execute(arguments: [node])
            return db.changesCount
        }
        logger.debug("Closed sessions of node", metadata: ["node": "\(node)", "count": "\(count)"])
        return count
    }

    // MARK: Mailbox

    public func pending(for recipient: String, afterSeq: Int64, limit: Int) async throws -> [MailboxEntry] {
        // SQLite reads a negative LIMIT as "no limit".
        guard limit > 0 else { return [] }
        return try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: SQLiteStatements.selectPending),
                arguments: [recipient, afterSeq, limit]
            ).map(MailboxEntry.init(sqliteRow:))
        }
    }

    // MARK: Groups

    public func createGroup(_ group: GroupRecord) async throws {
        let created = try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.insertGroup).execute(arguments: group.sqliteArguments)
            guard db.changesCount > 0 else { return false }
            try db.cachedStatement(sql: SQLiteStatements.insertMember).execute(arguments: [
                group.name, group.createdBy, GroupRole.admin.rawValue, UnixMillis.from(group.createdAt),
            ])
            return true
        }
        guard created else { throw StoreError.groupNameTaken }
    }

    public func group(named name: String) async throws -> GroupRecord? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: SQLiteStatements.selectGroup), arguments: [name])
                .map(GroupRecord.init(sqliteRow:))
        }
    }

    public func members(of group: String) async throws -> [GroupMember] {
        try await pool.read { db in
            try Self.members(of: group, in: db)
        }
    }

    public func groups(of username: String) async throws -> [GroupMembership] {
        try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: SQLiteStatements.selectMemberships), arguments: [username])
                .map(GroupMembership.init(sqliteRow:))
        }
    }

    public func join(group: String, username: String, maxMembers: Int) async throws -> GroupJoinOutcome {
        let joinedAt = UnixMillis.now().millis
        let outcome: GroupJoinOutcome? = try await writeTransaction { db in
            guard try Self.exists(SQLiteStatements.selectGroupExists, [group], in: db) else { return nil }
            if try Self.exists(SQLiteStatements.selectBanExists, [group, username], in: db) { return .banned }
            let others = try Row.fetchAll(
                db.cachedStatement(sql: SQLiteStatements.selectOtherMembersUpTo), arguments: [group, username, maxMembers]
            ).count
            if others >= maxMembers { return .full }
            try db.cachedStatement(sql: SQLiteStatements.insertMember)
                .execute(arguments: [group, username, GroupRole.member.rawValue, joinedAt])
            return db.changesCount > 0 ? .joined : .alreadyMember
        }
        guard let outcome else { throw StoreError.noSuchGroup }
        return outcome
    }

    public func leave(group: String, username: String) async throws -> Bool {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.deleteMember).execute(arguments: [group, username])
            return db.changesCount > 0
        }
    }

    public func remove(group: String, member: String, by admin: String) async throws -> Bool {
        let bannedAt = UnixMillis.now().millis
        return try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.deleteMember).execute(arguments: [group, member])
            guard db.changesCount > 0 else { return false }
            try db.cachedStatement(sql: SQLiteStatements.insertBan)
                .execute(arguments: [group, member, admin, bannedAt])
            return true
        }
    }

    public func unban(group: String, member: String) async throws -> Bool {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.deleteBan).execute(arguments: [group, member])
            return db.changesCount > 0
        }
    }

    public func setRole(group: String, member: String, role: GroupRole) async throws -> Bool {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.updateMemberRole)
                .execute(arguments: [role.rawValue, group, member])
            return db.changesCount > 0
        }
    }

    public func setGroupPassword(
        group: String, loginKey: Data, kdfLog2N: Int, kdfR: Int, kdfP: Int
    ) async throws -> Bool {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.updateGroupPassword)
                .execute(arguments: [loginKey, kdfLog2N, kdfR, kdfP, group])
            return db.changesCount > 0
        }
    }

    public func upgradeGroupLogin(group: String, legacyHash: String, loginKey: Data) async throws -> Bool {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.upgradeGroupLogin)
                .execute(arguments: [loginKey, group, legacyHash])
            return db.changesCount > 0
        }
    }

    public func deleteGroup(_ name: String) async throws -> [GroupMember] {
        try await writeTransaction { db in
            let members = try Self.members(of: name, in: db)
            try db.cachedStatement(sql: SQLiteStatements.deleteGroup).execute(arguments: [name])
            return members
        }
    }

    // MARK: Nodes

    public func registerNode(_ node: NodeRecord) async throws {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.upsertNode).execute(arguments: node.sqliteArguments)
        }
    }

    public func heartbeat(node: String, load: NodeLoad, at: Date) async throws -> Bool {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.updateHeartbeat)
                .execute(arguments: [load.connections, load.messagesPerSecond, load.mailboxPending, UnixMillis.from(at), node])
            return db.changesCount > 0
        }
    }

    public func nodes() async throws -> [NodeRecord] {
        try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: SQLiteStatements.selectNodes)).map(NodeRecord.init(sqliteRow:))
        }
    }

    public func drainNode(_ name: String) async throws -> Bool {
        try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.drainNode).execute(arguments: [name])
            return db.changesCount > 0
        }
    }

    public func removeNode(_ name: String) async throws {
        let sessions = try await writeTransaction { db in
            try db.cachedStatement(sql: SQLiteStatements.deleteNode).execute(arguments: [name])
            try db.cachedStatement(sql: SQLiteStatements.deleteNodeSessions).execute(arguments: [name])
            return db.changesCount
        }
        logger.debug("Removed node", metadata: ["node": "\(name)", "sessions": "\(sessions)"])
    }

    public func reapNodes(heartbeatBefore cutoff: Date) async throws -> [String] {
        let reaped = try await writeTransaction { db in
            let names = try String.fetchAll(
                db.cachedStatement(sql: SQLiteStatements.deleteStaleNodes), arguments: [UnixMillis.from(cutoff)])
            let deleteSessions = try db.cachedStatement(sql: SQLiteStatements.deleteNodeSessions)
            for name in names {
                try deleteSessions.execute(arguments: [name])
            }
            return names.sorted()
        }
        if !reaped.isEmpty {
            logger.debug("Reaped dead nodes", metadata: ["nodes": "\(reaped.joined(separator: ", "))"])
        }
        return reaped
    }

    public func sessionNodes(of usernames: Set<String>) async throws -> [String: String] {
        guard !usernames.isEmpty else { return [:] }
        return try await pool.read { db in
            let select = try db.cachedStatement(sql: SQLiteStatements.selectSessionNode)
            var nodes: [String: String] = [:]
            for username in usernames {
                nodes[username] = try String.fetchOne(select, arguments: [username])
            }
            return nodes
        }
    }

    private static func members(of group: String, in db: Database) throws -> [GroupMember] {
        try Row.fetchAll(db.cachedStatement(sql: SQLiteStatements.selectMembers), arguments: [group])
            .map(GroupMember.init(sqliteRow:))
    }

    static func exists(_ sql: String, _ arguments: StatementArguments, in db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) ?? false
    }

    public func close() async throws {
        let pool = self.pool
        // GRDB's close waits, blocking its thread, until every reader connection is back. On one of the few threads
        // of Swift's cooperative pool that can starve the very tasks that would give them back (a test run hung so).
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread {
                do {
                    try pool.close()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
        logger.debug("SQLite store closed")
    }
}
