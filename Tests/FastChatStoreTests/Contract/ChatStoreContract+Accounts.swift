import FastChatStore
import Testing

extension ChatStoreContract {
    static func createAndFetchUser(_ context: ContractContext) async throws {
        let store = try await context.open()
        let alice = Fixtures.user("alice")
        try await store.createUser(alice)
        #expect(try await store.user(named: "alice") == alice)
    }

    static func unknownUserIsNil(_ context: ContractContext) async throws {
        let store = try await context.open()
        #expect(try await store.user(named: "nobody") == nil)
    }

    static func takenUsername(_ context: ContractContext) async throws {
        let store = try await context.open()
        let original = Fixtures.user("alice")
        try await store.createUser(original)
        await #expect(throws: StoreError.usernameTaken) {
            try await store.createUser(Fixtures.user("alice"))
        }
        #expect(try await store.user(named: "alice") == original, "the first account is untouched")
    }

    static func usernamesAreCaseSensitive(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.createUser(Fixtures.user("alice"))
        try await store.createUser(Fixtures.user("Alice"))
        #expect(try await store.user(named: "Alice")?.username == "Alice")
        #expect(try await store.user(named: "ALICE") == nil)
    }

    static func legacyUserUpgradesOnce(_ context: ContractContext) async throws {
        let store = try await context.open()
        let original = Fixtures.user("alice", legacy: true)
        try await store.createUser(original)
        #expect(try await store.user(named: "alice") == original, "a legacy hash reads back as one")
        guard case .legacyHash(let hash) = original.verifier else { return }

        let key = Fixtures.bytes(32)
        #expect(try await store.upgradeLogin(username: "alice", legacyHash: "scrypt$other", loginKey: key) == false)
        #expect(try await store.user(named: "alice") == original)
        #expect(try await store.upgradeLogin(username: "alice", legacyHash: hash, loginKey: key))
        var expected = original
        expected.verifier = .loginKey(key)
        #expect(try await store.user(named: "alice") == expected, "only the verifier changes")
        #expect(try await store.upgradeLogin(username: "alice", legacyHash: hash, loginKey: Fixtures.bytes(32)) == false)
        #expect(try await store.user(named: "alice") == expected, "a second upgrade changes nothing")
        #expect(try await store.upgradeLogin(username: "nobody", legacyHash: hash, loginKey: key) == false)
    }

    static func changePasswordReplacesVerifierKDFAndBackup(_ context: ContractContext) async throws {
        let store = try await context.open()
        for legacy in [false, true] {
            let name = legacy ? "old" : "alice"
            let original = Fixtures.user(name, legacy: legacy)
            try await store.createUser(original)
            let key = Fixtures.bytes(32)
            let backup = Fixtures.bytes(150)
            #expect(try await store.changePassword(
                username: name, loginKey: key, kdfLog2N: 16, kdfR: 9, kdfP: 2, keyBackup: backup))
            var expected = original
            expected.verifier = .loginKey(key)
            expected.kdfLog2N = 16
            expected.kdfR = 9
            expected.kdfP = 2
            expected.keyBackup = backup
            #expect(try await store.user(named: name) == expected, "identity keys and creation time stay")
        }
        #expect(try await store.changePassword(
            username: "nobody", loginKey: Fixtures.bytes(32), kdfLog2N: 15, kdfR: 8, kdfP: 1,
            keyBackup: Fixtures.bytes(10)) == false)
        #expect(try await store.user(named: "nobody") == nil)
    }

    static func openAndCloseSession(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.openSession(username: "alice", node: "s1")
        try await store.closeSession(username: "alice", node: "s1")
        try await store.openSession(username: "alice", node: "s2")
    }

    static func alreadyLoggedInNamesTheNode(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.openSession(username: "alice", node: "s1")
        await #expect(throws: StoreError.alreadyLoggedIn(node: "s1")) {
            try await store.openSession(username: "alice", node: "s2")
        }
        await #expect(throws: StoreError.alreadyLoggedIn(node: "s1")) {
            try await store.openSession(username: "alice", node: "s1")
        }
        try await store.openSession(username: "bob", node: "s1")
    }

    static func closeSessionFromAnotherNodeKeepsIt(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.openSession(username: "alice", node: "s2")
        try await store.closeSession(username: "alice", node: "s1")
        await #expect(throws: StoreError.alreadyLoggedIn(node: "s2")) {
            try await store.openSession(username: "alice", node: "s3")
        }
        try await store.closeSession(username: "nobody", node: "s1")
    }

    static func closeSessionsOfNode(_ context: ContractContext) async throws {
        let store = try await context.open()
        for name in ["alice", "bob", "carol"] {
            try await store.openSession(username: name, node: "s1")
        }
        try await store.openSession(username: "dave", node: "s2")

        #expect(try await store.closeSessions(node: "s1") == 3)
        #expect(try await store.closeSessions(node: "s1") == 0)
        try await store.openSession(username: "alice", node: "s2")
        await #expect(throws: StoreError.alreadyLoggedIn(node: "s2")) {
            try await store.openSession(username: "dave", node: "s1")
        }
    }

    /// Two nodes racing to log the same user in: exactly one may win, whatever the timing.
    static func concurrentLoginsHaveOneWinner(_ context: ContractContext) async throws {
        let nodes = [("s1", try await context.open()), ("s2", try await context.open())]
        let users = (0..<20).map { "user\($0)" }
        let winners = try await withThrowingTaskGroup(of: (String, String)?.self) { group in
            for user in users {
                for (node, store) in nodes {
                    group.addTask {
                        do {
                            try await store.openSession(username: user, node: node)
                            return (user, node)
                        } catch StoreError.alreadyLoggedIn {
                            return nil
                        }
                    }
                }
            }
            return try await group.reduce(into: [String: [String]]()) { winners, result in
                if let (user, node) = result { winners[user, default: []].append(node) }
            }
        }
        #expect(winners.count == users.count)
        #expect(winners.values.allSatisfy { $0.count == 1 })
    }
}
