/// The durable state a FastChat node shares with every other node: accounts, sessions and mailboxes.
///
/// Backends (SQLite today, PostgreSQL later) must behave identically; the contract test suite in
/// `Tests/FastChatStoreTests` is the executable definition of this protocol. Dates keep millisecond
/// precision. Usernames compare exactly (case-sensitive).
public protocol ChatStore: Sendable {
    // MARK: Accounts

    /// Throws `StoreError.usernameTaken` if the name exists.
    func createUser(_ user: UserRecord) async throws
    func user(named username: String) async throws -> UserRecord?

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
    /// A message is accepted once per `(sender, messageID)`, forever: a repeat (in a later call, in
    /// the same batch, or after the original was acknowledged) returns `.duplicate` and stores
    /// nothing. Otherwise each distinct recipient gets one mailbox entry.
    func accept(_ messages: [IncomingMessage]) async throws -> [AcceptOutcome]
    /// The recipient's entries with `seq > afterSeq`, oldest first, at most `limit`.
    ///
    /// Entries become visible in seq order (an entry never appears after one with a higher seq),
    /// so the last seq a client has seen is a safe cursor: later entries always have higher seqs.
    func pending(for recipient: String, afterSeq: Int64, limit: Int) async throws -> [MailboxEntry]
    /// Deletes the recipient's entries with these seqs and returns them, ordered by seq. Seqs that
    /// are unknown, already deleted or belong to another recipient are ignored.
    func acknowledge(recipient: String, seqs: [Int64]) async throws -> [MailboxEntry]

    /// Releases the backend's connections. Idempotent; other calls fail afterwards.
    func close() async throws
}
