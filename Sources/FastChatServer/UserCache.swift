import FastChatStore
import Synchronization

/// Accounts looked up by name, for their identity keys. Accounts are never deleted and identity keys never change,
/// so a found record's identity stays valid; its verifier, KDF parameters and key backup change with the password
/// (perhaps on another node), so sign-in and password changes read those from the store (`storedUser`). Holds at
/// most `capacity` accounts, forgetting the least recently used first, so lookups of many names (even before any
/// sign-in) cannot grow it without bound.
///
/// Every 1:1 message looks its recipient up here: a map behind a mutex, so a hit costs no hop (an actor cost each
/// message one). The store is read outside the lock; two misses for one name at once both read it, and either
/// record is the same account.
final class UserCache: Sendable {
    private let store: any ChatStore
    private let capacity: Int
    private let known = Mutex(KnownUsers())

    init(store: any ChatStore, capacity: Int = 10_000) {
        self.store = store
        self.capacity = max(1, capacity)
    }

    func user(named username: String) async throws -> UserRecord? {
        if let user = cachedUser(named: username) { return user }
        guard let user = try await store.user(named: username) else { return nil }
        known.withLock { $0.insert(user, capacity: capacity) }
        return user
    }

    /// The account if it is known here, without reading the store.
    func cachedUser(named username: String) -> UserRecord? {
        known.withLock { $0.use(username) }
    }

    var count: Int { known.withLock { $0.count } }
}

private struct KnownUsers {
    private var users: [String: (user: UserRecord, used: UInt64)] = [:]
    private var clock: UInt64 = 0

    var count: Int { users.count }

    mutating func use(_ username: String) -> UserRecord? {
        guard let entry = users[username] else { return nil }
        clock += 1
        users[username] = (entry.user, clock)
        return entry.user
    }

    mutating func insert(_ user: UserRecord, capacity: Int) {
        clock += 1
        if users[user.username] == nil && users.count >= capacity { evictLeastRecentlyUsed(capacity: capacity) }
        users[user.username] = (user, clock)
    }

    /// Drops the least recently used tenth at once, so the scan is paid once per many insertions.
    private mutating func evictLeastRecentlyUsed(capacity: Int) {
        let drop = max(1, capacity / 10)
        let oldest = users.sorted { $0.value.used < $1.value.used }.prefix(drop).map(\.key)
        for name in oldest { users[name] = nil }
    }
}
