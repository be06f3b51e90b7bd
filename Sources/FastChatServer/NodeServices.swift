import FastChatStore
import Logging
import NIOPosix

/// What every connection on a node shares.
struct NodeServices: Sendable {
    let configuration: ServerConfiguration
    let store: any ChatStore
    let sessions: SessionDirectory
    let mailbox: MailboxWriter
    let users: UserCache
    /// Slow hashing (scrypt) runs here, off the cooperative pool, so sign-ins cannot stall message traffic.
    let blockingPool: NIOThreadPool
    let logger: Logger

    /// Pushes freshly stored entries to their recipients if they are signed in on this node. Called in commit order.
    func route(_ entries: [MailboxEntry]) async {
        for entry in entries {
            await sessions.session(for: entry.recipient)?.delivery.push([entry])
        }
    }
}

/// Accounts looked up by name. Accounts are never deleted or re-keyed, so a found record stays valid.
actor UserCache {
    private let store: any ChatStore
    private var known: [String: UserRecord] = [:]

    init(store: any ChatStore) {
        self.store = store
    }

    func user(named username: String) async throws -> UserRecord? {
        if let user = known[username] { return user }
        guard let user = try await store.user(named: username) else { return nil }
        known[username] = user
        return user
    }
}
