import FastChatStore
import Testing

extension ChatStoreContract {
    /// A node restarting (or another node connecting) finds everything, and opening an up-to-date
    /// store again runs its migrations harmlessly.
    static func reopenKeepsEverything(_ context: ContractContext) async throws {
        let first = try await context.open()
        let alice = Fixtures.user("alice")
        try await first.createUser(alice)
        try await first.openSession(username: "alice", node: "s1")
        let outcomes = try await first.accept([
            Fixtures.message(from: "alice", to: ["bob"]),
            Fixtures.message(from: "alice", to: ["bob"]),
        ])
        let acknowledged = try await first.acknowledge(recipient: "bob", seqs: [outcomes[1].entries[0].seq])
        let duplicate = Fixtures.message(from: "carol", to: ["bob"])
        _ = try await first.accept([duplicate])
        try await first.close()
        try await first.close()

        for _ in 0..<2 {
            let store = try await context.open()
            #expect(try await store.user(named: "alice") == alice)
            await #expect(throws: StoreError.alreadyLoggedIn(node: "s1")) {
                try await store.openSession(username: "alice", node: "s2")
            }
            let pending = try await store.pending(for: "bob", afterSeq: 0, limit: 10)
            #expect(pending.first == outcomes[0].entries[0])
            #expect(pending.count == 2 && !pending.contains(acknowledged[0]))
            #expect(try await store.accept([duplicate]) == [.duplicate])
            try await store.close()
        }

        let store = try await context.open()
        let later = try await store.accept([Fixtures.message(from: "alice", to: ["bob"])])[0].entries
        #expect(later[0].seq > acknowledged[0].seq, "seqs keep increasing across restarts")
    }

    /// Two connections to the same storage (two server processes) writing at the same time: no
    /// write fails, and each sees the other's data.
    static func twoStoresWriteConcurrently(_ context: ContractContext) async throws {
        let stores = [try await context.open(), try await context.open()]
        let batches = 10
        let batchSize = 25
        let seqs = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (index, store) in stores.enumerated() {
                for batch in 0..<batches {
                    group.addTask {
                        try await store.createUser(Fixtures.user("user\(index)-\(batch)"))
                        try await store.openSession(username: "user\(index)-\(batch)", node: "s\(index)")
                        let messages = (0..<batchSize).map { _ in
                            Fixtures.message(from: "user\(index)-\(batch)", to: ["inbox"])
                        }
                        return try await store.accept(messages).flatMap(\.entries).map(\.seq)
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let total = stores.count * batches * batchSize
        #expect(Set(seqs).count == total, "no seq handed out twice")

        for store in stores {
            let inbox = try await store.pending(for: "inbox", afterSeq: 0, limit: total + 1)
            #expect(inbox.map(\.seq) == seqs.sorted())
            for index in stores.indices {
                #expect(try await store.user(named: "user\(index)-\(batches - 1)") != nil)
            }
        }
        _ = try await stores[1].acknowledge(recipient: "inbox", seqs: seqs)
        #expect(try await stores[0].pending(for: "inbox", afterSeq: 0, limit: 10).isEmpty)
        #expect(try await stores[0].closeSessions(node: "s1") == batches)
    }
}
