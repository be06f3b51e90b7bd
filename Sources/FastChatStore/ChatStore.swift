import Foundation

/// The durable state a FastChat node shares with every other node: accounts, sessions, mailboxes,
/// groups and the node registry.
///
/// Backends (SQLite today, PostgreSQL later) must behave identically; the contract test suite in
/// `Tests/FastChatStoreTests` is the executable definition of this protocol. Dates keep millisecond
/// precision. Usernames compare exactly (case-sensitive).
public protocol ChatStore: Sendable {
    // MARK: Accounts

    /// Throws `StoreError.usernameTaken` if the name exists.
    func createUser(_ user: UserRecord) async throws
    func user(named username: String) async throws -> UserRecord?
    /// Replaces a legacy hash with a login key, only if the account still holds exactly `legacyHash`; false
    /// otherwise (no such user, already upgraded, or its password changed meanwhile).
    func upgradeLogin(username: String, legacyHash: String, loginKey: Data) async throws -> Bool
    /// Replaces the login key (or legacy hash), the KDF parameters and the key backup in one statement; false if
    /// there is no such user.
    func changePassword(
        username: String, loginKey: Data, kdfLog2N: Int, kdfR: Int, kdfP: Int, keyBackup: Data
    ) async throws -> Bool

    // MARK: Sessions

    /// Records that `username` is connected to `node`. A user has at most one session across all
    /// nodes sharing the store, which is how "already logged in" holds cluster-wide.
    ///
    /// Throws `StoreError.alreadyLoggedIn(node:)` if any session exists, even one on `node` itself.
    func openSession(username: String, node: String) async throws
    /// Deletes the session only if it belongs to `node`, so a late close from a node the user has
    /// left cannot end the session on the node they moved to.
    func closeSession(username: String, node: String) async throws
    /// Deletes every session of `node` (a node (re)starting, or found dead) and returns how many.
    func closeSessions(node: String) async throws -> Int

    // MARK: Mailbox

    /// Stores all messages in one transaction (group commit) and returns one outcome per message,
    /// in input order.
    ///
    /// A message is accepted once per `(sender, messageID)` until `forgetAcceptedMessages` forgets it: a repeat (in a
    /// later call, in the same batch, or after the original was acknowledged) returns `.duplicate` and stores
    /// nothing. Otherwise each distinct recipient gets one mailbox entry.
    ///
    /// A new message whose `blobs` are not all complete uploads of its sender's is not accepted (`.missingImage`).
    /// In the same transaction as its entries, each blob is linked to them (a duplicate's: to the original's entries
    /// still pending), so it is kept until they are acknowledged. A message's `sharedBody` is stored once, with its
    /// entries, and every entry read back (`pending`, `acknowledge`, the entries returned here) carries it.
    func accept(_ messages: [IncomingMessage]) async throws -> [AcceptOutcome]
    /// The recipient's entries with `seq > afterSeq`, oldest first, at most `limit`.
    ///
    /// Entries become visible in seq order (an entry never appears after one with a higher seq),
    /// so the last seq a client has seen is a safe cursor: later entries always have higher seqs.
    func pending(for recipient: String, afterSeq: Int64, limit: Int) async throws -> [MailboxEntry]
    /// Deletes the recipient's entries with these seqs and returns them, ordered by seq. Seqs that
    /// are unknown, already deleted or belong to another recipient are ignored. A blob linked to them and to no
    /// other entry is deleted in the same transaction, as is a shared body no other entry refers to.
    func acknowledge(recipient: String, seqs: [Int64]) async throws -> [MailboxEntry]
    /// Several acknowledgements at once (group commit of acks), one result per acknowledgement, in order.
    func acknowledge(_ batch: [Acknowledgement]) async throws -> [[MailboxEntry]]
    /// One step of a sweep through the duplicate check in key order (sender, then message id), in one transaction:
    /// of the at most `limit` ids after `start` (nil: from the first), forgets those accepted before `cutoff`. Returns
    /// how many it forgot and where the next step starts (nil: this one reached the last id). From then on a repeat
    /// of a forgotten message is accepted as new; mailbox entries are left as they are. The duplicate check only has
    /// to outlive a client's retries, and what it remembers grows with every message.
    ///
    /// In key order rather than oldest first: message ids are random, so the ids due are spread over every page of
    /// the keys, and deleting them by age would write a page per id; a step over neighbouring keys writes each page
    /// it changes once, and needs no index on the acceptance time (which every message would pay for).
    func forgetAcceptedMessages(acceptedBefore cutoff: Date, after start: AcceptedMessageKey?, limit: Int) async throws
        -> (forgotten: Int, next: AcceptedMessageKey?)
    /// `acknowledge(acknowledgements)` then `accept(messages)`, in one transaction: a node's commit stage writes
    /// what its connections sent meanwhile, deletions and new entries together, with one commit. Acknowledgements
    /// go first, so the room they free in a mailbox counts for the messages of the same commit.
    func commit(acknowledging acknowledgements: [Acknowledgement], accepting messages: [IncomingMessage]) async throws
        -> MailboxCommit

    // MARK: Groups
    //
    // The store keeps no policy: who may remove, promote or delete, and whether the last admin may
    // leave, is the server's decision. Group names compare exactly (case-sensitive), like usernames,
    // and sort in code-point order, as do usernames within one join time.

    /// Creates the group with its creator (`createdBy`) as its one admin member, joined at
    /// `createdAt`, in one transaction. Throws `StoreError.groupNameTaken` if the name exists.
    func createGroup(_ group: GroupRecord) async throws
    func group(named name: String) async throws -> GroupRecord?
    /// Ordered by join time, then username; `[]` for an unknown group.
    func members(of group: String) async throws -> [GroupMember]
    /// The groups `username` belongs to, with their role in each, ordered by group name.
    func groups(of username: String) async throws -> [GroupMembership]
    /// Adds `username` as a `member` unless banned or the group already has `maxMembers` members (both checked in
    /// the same transaction). Throws `StoreError.noSuchGroup` if the group does not exist.
    func join(group: String, username: String, maxMembers: Int) async throws -> GroupJoinOutcome
    /// Deletes the membership, whatever its role; false if `username` was not a member.
    func leave(group: String, username: String) async throws -> Bool
    /// Admin removal: deletes the membership and bans `member` from rejoining (recording `admin`
    /// as the one who banned), in one transaction; false (and no ban) if not a member.
    func remove(group: String, member: String, by admin: String) async throws -> Bool
    /// Lifts the ban; false if `member` was not banned.
    func unban(group: String, member: String) async throws -> Bool
    /// False if `member` is not a member.
    func setRole(group: String, member: String, role: GroupRole) async throws -> Bool
    /// Replaces the login key (or legacy hash) and its scrypt parameters; false if the group does not exist.
    func setGroupPassword(group: String, loginKey: Data, kdfLog2N: Int, kdfR: Int, kdfP: Int) async throws -> Bool
    /// Replaces a legacy hash with a login key, only if the group still holds exactly `legacyHash`; false
    /// otherwise (no such group, already upgraded, or its password changed meanwhile).
    func upgradeGroupLogin(group: String, legacyHash: String, loginKey: Data) async throws -> Bool
    /// Deletes the group, its memberships and its bans in one transaction and returns the members it
    /// had (ordered as `members(of:)`), to notify them; `[]` if there is no such group.
    func deleteGroup(_ name: String) async throws -> [GroupMember]

    // MARK: Nodes
    //
    // The registry (DESIGN §7). Liveness is the reader's call: it compares `heartbeatAt` with its own clock, so the
    // nodes and balancers sharing a store should share a clock too (one machine, or NTP). Node names compare exactly
    // and sort in code-point order.

    /// Inserts the node, or replaces every field of the node with the same name (a restart). Its sessions are left
    /// alone: a restarting node clears them itself.
    func registerNode(_ node: NodeRecord) async throws
    /// Records a heartbeat and the node's load. False if the node has no row (removed, or reaped as dead, which
    /// cleared its sessions): the caller re-registers, and its sessions are gone.
    func heartbeat(node: String, load: NodeLoad, at: Date) async throws -> Bool
    /// Every registered node, dead or alive, ordered by name.
    func nodes() async throws -> [NodeRecord]
    /// Marks the node draining (`NodeRecord.draining`). False if no node has that name.
    func drainNode(_ name: String) async throws -> Bool
    /// A graceful stop: deletes the node's row and its sessions in one transaction. Unknown names are ignored.
    func removeNode(_ name: String) async throws
    /// Nodes whose heartbeat is older than cutoff: deletes their sessions and rows in one transaction; returns their
    /// names, ordered. A heartbeat at exactly `cutoff` is not older.
    func reapNodes(heartbeatBefore cutoff: Date) async throws -> [String]
    /// Presence of many users in one read: the node holding each one's session (those signed in nowhere are absent).
    func sessionNodes(of usernames: Set<String>) async throws -> [String: String]

    /// Releases the backend's connections. Idempotent; other calls fail afterwards.
    func close() async throws

    /// Where a commit stage runs its loop (its `accept` and `acknowledge` batches), if this store writes them more
    /// cheaply there: SQLite's writer thread, where a batch is written with no thread hop. Nil: anywhere.
    var batchWriteExecutor: (any TaskExecutor)? { get }
}

extension ChatStore {
    public var batchWriteExecutor: (any TaskExecutor)? { nil }

    /// A heartbeat that reports only the connection count.
    public func heartbeat(node: String, connections: Int, at: Date) async throws -> Bool {
        try await heartbeat(node: node, load: NodeLoad(connections: connections), at: at)
    }

    /// Presence: the node holding username's session, if any.
    public func sessionNode(of username: String) async throws -> String? {
        try await sessionNodes(of: [username])[username]
    }

    /// `join` with no member limit.
    public func join(group: String, username: String) async throws -> GroupJoinOutcome {
        try await join(group: group, username: username, maxMembers: .max)
    }

    public func acknowledge(recipient: String, seqs: [Int64]) async throws -> [MailboxEntry] {
        try await acknowledge([Acknowledgement(recipient: recipient, seqs: seqs)])[0]
    }

    public func acknowledge(_ batch: [Acknowledgement]) async throws -> [[MailboxEntry]] {
        try await commit(acknowledging: batch, accepting: []).acknowledged
    }

    public func accept(_ messages: [IncomingMessage]) async throws -> [AcceptOutcome] {
        try await commit(acknowledging: [], accepting: messages).accepted
    }
}
