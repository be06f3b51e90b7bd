import Foundation
import PostgresNIO

/// The backend for many machines: one PostgreSQL database shared by every node, through postgres-nio's pooled
/// `PostgresClient`. Opened only by `withStore(url:logger:connectionWait:_:)`, whose scope the pool runs in.
public final class PostgresStore: ChatStore {
    /// The URL the store was opened with, its password masked.
    public let url: String
    /// Not private: the tests check that the end of the scope has shut it down.
    let client: PostgresClient
    private let logger: Logger
    private let state = OpenState()

    /// How long a statement waits for a pooled connection before the store gives up (the server is down, or every
    /// connection is busy). Generous: a loaded machine can take seconds to open a connection, and giving up early
    /// turns slowness into errors.
    let connectionWait: Duration

    /// Connects to the database `url` names (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`), brings its schema up
    /// to date, and runs `body` with the store while its connection pool runs as a child task; the pool ends when
    /// `body` does, whether it returns or throws, and the store then refuses statements. Throws
    /// `StoreError.cannotOpen` with a sentence naming the URL (password masked) and the cause. Statements that get
    /// no connection within `connectionWait` fail with `StoreError.cannotOpen`.
    public static func withStore<Result>(
        url text: String,
        logger: Logger,
        connectionWait: Duration = .seconds(30),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresStore) async throws -> Result
    ) async throws -> Result {
        let store = try await PostgresStore(url: text, logger: logger, connectionWait: connectionWait)
        defer { store.logger.debug("PostgreSQL store closed") }
        let client = store.client
        return try await withThrowingDiscardingTaskGroup(returning: Result.self) { group in
            // The pool must be running before the first lease, or postgres-nio warns that `run()` has not been
            // called. An immediate task runs `run()` on this thread up to its first suspension, by which point the
            // client counts as running.
            if #available(macOS 26, iOS 26, tvOS 26, watchOS 26, visionOS 26, *) {
                group.addImmediateTask { await client.run() }
            } else {
                group.addTask { await client.run() }
            }
            // A throwing body cancels the group itself; a returning one leaves the pool for us to end. Either way the
            // store is closed first, so a reference that outlived the scope fails with a sentence, not a pool error.
            do {
                let result = try await body(store)
                store.state.close()
                group.cancelAll()
                return result
            } catch {
                store.state.close()
                throw error
            }
        }
    }

    private init(url text: String, logger: Logger, connectionWait: Duration) async throws {
        let url = try PostgresURL(parsing: text)
        var logger = logger
        logger[metadataKey: "database"] = "\(url.masked)"
        let connection = try await Self.connect(url, logger: logger)
        do {
            try await Self.migrate(PostgresRunner(connection: connection, logger: logger))
        } catch {
            try? await connection.close()
            logger.debug("Cannot migrate the database", metadata: ["error": "\(String(reflecting: error))"])
            throw StoreError.cannotOpen(
                "Cannot prepare the PostgreSQL database \(url.masked): \(PostgresRunner.reason(error)).")
        }
        try? await connection.close()

        self.url = url.masked
        self.client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger)
        self.connectionWait = connectionWait
        self.logger = logger
        logger.debug("PostgreSQL store open")
    }

    // MARK: Accounts

    public func createUser(_ user: UserRecord) async throws {
        let inserted = try await run { try await $0.count(PostgresStatements.insertUser, user.postgresBinds) }
        guard inserted > 0 else { throw StoreError.usernameTaken }
    }

    public func user(named username: String) async throws -> UserRecord? {
        try await run { try await $0.rows(PostgresStatements.selectUser, [username]) }
            .first.map(UserRecord.init(postgresRow:))
    }

    public func upgradeLogin(username: String, legacyHash: String, loginKey: Data) async throws -> Bool {
        try await run { try await $0.count(PostgresStatements.upgradeUserLogin, [loginKey, username, legacyHash]) } > 0
    }

    public func changePassword(
        username: String, loginKey: Data, kdfLog2N: Int, kdfR: Int, kdfP: Int, keyBackup: Data
    ) async throws -> Bool {
        try await run {
            try await $0.count(PostgresStatements.changePassword, [loginKey, kdfLog2N, kdfR, kdfP, keyBackup, username])
        } > 0
    }

    // MARK: Sessions

    public func openSession(username: String, node: String) async throws {
        let openedAt = UnixMillis.now().millis
        let holder: String? = try await run { runner in
            // The holder may log out between the insert and the look-up: then the insert is tried again.
            while true {
                if try await runner.count(PostgresStatements.insertSession, [username, node, openedAt]) > 0 {
                    return nil
                }
                if let holder = try await runner.rows(PostgresStatements.selectSessionNode, [username]).first {
                    return try holder.decode(String.self)
                }
            }
        }
        if let holder { throw StoreError.alreadyLoggedIn(node: holder) }
    }

    public func closeSession(username: String, node: String) async throws {
        try await run { try await $0.rows(PostgresStatements.deleteSession, [username, node]) }
    }

    public func closeSessions(node: String) async throws -> Int {
        let count = try await run { try await $0.count(PostgresStatements.deleteNodeSessions, [node]) }
        logger.debug("Closed sessions of node", metadata: ["node": "\(node)", "count": "\(count)"])
        return count
    }

    // MARK: Groups

    public func createGroup(_ group: GroupRecord) async throws {
        let created = try await transaction { runner in
            guard try await runner.count(PostgresStatements.insertGroup, group.postgresBinds) > 0 else { return false }
            try await runner.rows(PostgresStatements.insertMember, [
                group.name, group.createdBy, GroupRole.admin.rawValue, UnixMillis.from(group.createdAt),
            ])
            return true
        }
        guard created else { throw StoreError.groupNameTaken }
    }

    public func group(named name: String) async throws -> GroupRecord? {
        try await run { try await $0.rows(PostgresStatements.selectGroup, [name]) }
            .first.map(GroupRecord.init(postgresRow:))
    }

    public func members(of group: String) async throws -> [GroupMember] {
        try await run { try await $0.rows(PostgresStatements.selectMembers, [group]) }
            .map(GroupMember.init(postgresRow:))
    }

    public func groups(of username: String) async throws -> [GroupMembership] {
        try await run { try await $0.rows(PostgresStatements.selectMemberships, [username]) }
            .map(GroupMembership.init(postgresRow:))
    }

    public func join(group: String, username: String, maxMembers: Int) async throws -> GroupJoinOutcome {
        let joinedAt = UnixMillis.now().millis
        let outcome: GroupJoinOutcome? = try await transaction { runner in
            // Exclusive, so two joins cannot both take the last place.
            guard try await runner.count(PostgresStatements.lockGroupForChange, [group]) > 0 else { return nil }
            if try await runner.count(PostgresStatements.selectBanExists, [group, username]) > 0 { return .banned }
            if try await runner.count(PostgresStatements.selectOtherMembersUpTo, [group, username, maxMembers]) >= maxMembers {
                return .full
            }
            let inserted = try await runner.count(
                PostgresStatements.insertMember, [group, username, GroupRole.member.rawValue, joinedAt])
            return inserted > 0 ? .joined : .alreadyMember
        }
        guard let outcome else { throw StoreError.noSuchGroup }
        return outcome
    }

    public func leave(group: String, username: String) async throws -> Bool {
        try await run { try await $0.count(PostgresStatements.deleteMember, [group, username]) } > 0
    }

    public func remove(group: String, member: String, by admin: String) async throws -> Bool {
        let bannedAt = UnixMillis.now().millis
        return try await transaction { runner in
            guard try await runner.count(PostgresStatements.lockGroupForChange, [group]) > 0,
                try await runner.count(PostgresStatements.deleteMember, [group, member]) > 0
            else { return false }
            try await runner.rows(PostgresStatements.insertBan, [group, member, admin, bannedAt])
            return true
        }
    }

    public func unban(group: String, member: String) async throws -> Bool {
        try await run { try await $0.count(PostgresStatements.deleteBan, [group, member]) } > 0
    }

    public func setRole(group: String, member: String, role: GroupRole) async throws -> Bool {
        try await run { try await $0.count(PostgresStatements.updateMemberRole, [role.rawValue, group, member]) } > 0
    }

    public func setGroupPassword(
        group: String, loginKey: Data, kdfLog2N: Int, kdfR: Int, kdfP: Int
    ) async throws -> Bool {
        try await run {
            try await $0.count(PostgresStatements.updateGroupPassword, [loginKey, kdfLog2N, kdfR, kdfP, group])
        } > 0
    }

    public func upgradeGroupLogin(group: String, legacyHash: String, loginKey: Data) async throws -> Bool {
        try await run { try await $0.count(PostgresStatements.upgradeGroupLogin, [loginKey, group, legacyHash]) } > 0
    }

    public func deleteGroup(_ name: String) async throws -> [GroupMember] {
        try await transaction { runner in
            guard try await runner.count(PostgresStatements.lockGroupForChange, [name]) > 0 else { return [] }
            let members = try await runner.rows(PostgresStatements.selectMembers, [name])
                .map(GroupMember.init(postgresRow:))
            try await runner.rows(PostgresStatements.deleteGroup, [name])
            return members
        }
    }

    // MARK: Nodes

    public func registerNode(_ node: NodeRecord) async throws {
        try await run { try await $0.rows(PostgresStatements.upsertNode, node.postgresBinds) }
    }

    public func heartbeat(node: String, load: NodeLoad, at: Date) async throws -> Bool {
        try await run {
            try await $0.count(
                PostgresStatements.updateHeartbeat,
                [load.connections, load.messagesPerSecond, load.mailboxPending, UnixMillis.from(at), node])
        } > 0
    }

    public func nodes() async throws -> [NodeRecord] {
        try await run { try await $0.rows(PostgresStatements.selectNodes) }.map(NodeRecord.init(postgresRow:))
    }

    public func drainNode(_ name: String) async throws -> Bool {
        try await run { try await $0.count(PostgresStatements.drainNode, [name]) } > 0
    }

    public func removeNode(_ name: String) async throws {
        let sessions = try await transaction { runner in
            try await runner.rows(PostgresStatements.deleteNode, [name])
            return try await runner.count(PostgresStatements.deleteNodeSessions, [name])
        }
        logger.debug("Removed node", metadata: ["node": "\(name)", "sessions": "\(sessions)"])
    }

    public func reapNodes(heartbeatBefore cutoff: Date) async throws -> [String] {
        let reaped = try await transaction { runner in
            let names = try await runner.rows(PostgresStatements.deleteStaleNodes, [UnixMillis.from(cutoff)])
                .map { try $0.decode(String.self) }
            if !names.isEmpty {
                try await runner.rows(PostgresStatements.deleteSessionsOfNodes, [names])
            }
            return names
        }
        if !reaped.isEmpty {
            logger.debug("Reaped dead nodes", metadata: ["nodes": "\(reaped.joined(separator: ", "))"])
        }
        return reaped
    }

    public func sessionNodes(of usernames: Set<String>) async throws -> [String: String] {
        guard !usernames.isEmpty else { return [:] }
        let rows = try await run { try await $0.rows(PostgresStatements.selectSessionNodes, [Array(usernames)]) }
        return Dictionary(try rows.map { try $0.decode((String, String).self) }, uniquingKeysWith: { first, _ in first })
    }

    /// Refuses further statements at once; the pool itself ends with the scope of `withStore`.
    public func close() async throws {
        state.close()
    }

    // MARK: Running statements

    /// Runs `body` on a connection leased from the pool. While the server cannot be reached this fails after
    /// `connectionWait` (so requests fail rather than hang); the pool keeps reconnecting meanwhile.
    func run<Result: Sendable>(_ body: @Sendable (PostgresRunner) async throws -> Result) async throws -> Result {
        guard state.isOpen else {
            throw StoreError.cannotOpen("The PostgreSQL store \(url) is closed.")
        }
        let logger = self.logger
        do {
            return try await client.withConnection(waitingAtMost: connectionWait) { connection in
                try await body(PostgresRunner(connection: connection, logger: logger))
            }
        } catch let error as ConnectionWaitExceeded {
            logger.warning("No connection to PostgreSQL", metadata: ["waited": "\(error.limit)"])
            throw StoreError.cannotOpen(
                "No connection to the PostgreSQL database \(url) became available within \(error.limit).")
        }
    }

    /// Runs `body` in a transaction, again from the start if the server broke a deadlock by rolling it back.
    func transaction<Result: Sendable>(
        _ body: @Sendable (PostgresRunner) async throws -> Result
    ) async throws -> Result {
        try await run { runner in
            var attempt = 1
            while true {
                do {
                    return try await runner.transaction(body)
                } catch where PostgresRunner.isTransient(error) && attempt < Self.maximumAttempts {
                    logger.debug("Transaction rolled back by the server; retrying", metadata: [
                        "error": "\(String(reflecting: error))",
                    ])
                    attempt += 1
                }
            }
        }
    }

    private static let maximumAttempts = 5

    // MARK: Inspection (tests)

    func appliedMigrations() async throws -> [String] {
        try await run { try await Self.appliedMigrations($0) }
    }
}

extension PostgresStore: MailboxStorageInspecting {
    func mailboxStorage() async throws -> MailboxStorage {
        try await run { runner in
            let (bodies, bodyBytes) = try await runner.rows(
                "SELECT COUNT(*), COALESCE(SUM(octet_length(body)), 0)::BIGINT FROM message_bodies"
            )[0].decode((Int, Int).self)
            let entryBytes = try await runner.rows(
                "SELECT COALESCE(SUM(octet_length(envelope)), 0)::BIGINT FROM mailbox")[0].decode(Int.self)
            return MailboxStorage(bodies: bodies, bodyBytes: bodyBytes, entryBytes: entryBytes)
        }
    }
}

/// Whether the store is closed (by `close()` or the end of its scope); checked before each statement so a closed
/// store fails at once.
private final class OpenState: @unchecked Sendable {
    private let lock = NSLock()
    private var open = true

    var isOpen: Bool { lock.withLock { open } }

    func close() {
        lock.withLock { open = false }
    }
}
