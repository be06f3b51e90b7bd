import FastChatStore
import Foundation
import Testing

extension ChatStoreContract {
    static func registerAndListNodes(_ context: ContractContext) async throws {
        let store = try await context.open()
        #expect(try await store.nodes().isEmpty)
        let s2 = Fixtures.node("s2", port: 7002)
        let s1 = Fixtures.node("s1", port: 7001, connections: 4)
        let upper = Fixtures.node("S3", port: 7003)
        for node in [s2, s1, upper] {
            try await store.registerNode(node)
        }
        #expect(try await store.nodes() == [upper, s1, s2], "ordered by name, in code-point order")
    }

    /// A node restarting under the same name replaces its row: new address, pid, start time.
    static func registerNodeReplacesByName(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.registerNode(Fixtures.node("s1", port: 7001, connections: 9))
        try await store.registerNode(Fixtures.node("s2", port: 7002))
        var restarted = Fixtures.node("s1", port: 7101, at: Fixtures.createdAt.addingTimeInterval(60))
        restarted.pid = 4242
        try await store.registerNode(restarted)
        #expect(try await store.nodes() == [restarted, Fixtures.node("s2", port: 7002)])
    }

    static func heartbeatUpdatesConnectionsAndTime(_ context: ContractContext) async throws {
        let store = try await context.open()
        let s1 = Fixtures.node("s1", port: 7001)
        try await store.registerNode(s1)
        let beat = s1.heartbeatAt.addingTimeInterval(1.5)
        #expect(try await store.heartbeat(node: "s1", connections: 17, at: beat))

        var expected = s1
        expected.connections = 17
        expected.heartbeatAt = beat
        #expect(try await store.nodes() == [expected], "address, pid and start time are kept")
    }

    /// What `fastchat status` shows per node comes back as the node reported it.
    static func heartbeatRecordsTheNodesLoad(_ context: ContractContext) async throws {
        let store = try await context.open()
        let s1 = Fixtures.node("s1", port: 7001)
        try await store.registerNode(s1)
        #expect(try await store.nodes().first?.load == NodeLoad(connections: 0), "a new node reports no load")
        let load = NodeLoad(connections: 4, messagesPerSecond: 123.5, mailboxPending: 42)
        #expect(try await store.heartbeat(node: "s1", load: load, at: s1.heartbeatAt.addingTimeInterval(1)))
        #expect(try await store.nodes().first?.load == load)
    }

    /// A node that was removed (or reaped) learns it from its next heartbeat and re-registers.
    static func heartbeatOnRemovedNodeIsFalse(_ context: ContractContext) async throws {
        let store = try await context.open()
        #expect(try await store.heartbeat(node: "nobody", connections: 0, at: Fixtures.createdAt) == false)
        #expect(try await store.nodes().isEmpty, "a heartbeat never registers")

        let s1 = Fixtures.node("s1", port: 7001)
        try await store.registerNode(s1)
        try await store.removeNode("s1")
        #expect(try await store.heartbeat(node: "s1", connections: 3, at: Fixtures.createdAt) == false)
        #expect(try await store.nodes().isEmpty)

        try await store.registerNode(s1)
        #expect(try await store.heartbeat(node: "s1", connections: 3, at: Fixtures.createdAt))
        try await store.removeNode("unknown")
        #expect(try await store.nodes().map(\.name) == ["s1"])
    }

    /// `fastchat drain` marks a node; heartbeats keep the mark, and only a (re)registration clears it.
    static func drainNodeMarksItUntilItRegistersAgain(_ context: ContractContext) async throws {
        let store = try await context.open()
        #expect(try await store.drainNode("s1") == false, "no such node")
        let s1 = Fixtures.node("s1", port: 7001)
        try await store.registerNode(s1)
        try await store.registerNode(Fixtures.node("s2", port: 7002))
        #expect(try await store.drainNode("s1"))
        #expect(try await store.heartbeat(node: "s1", connections: 2, at: Fixtures.createdAt))
        #expect(try await store.nodes().map(\.draining) == [true, false])
        try await store.registerNode(s1)
        #expect(try await store.nodes().map(\.draining) == [false, false])
    }

    static func removeNodeClearsItsSessions(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.registerNode(Fixtures.node("s1", port: 7001))
        try await store.registerNode(Fixtures.node("s2", port: 7002))
        try await store.openSession(username: "alice", node: "s1")
        try await store.openSession(username: "bob", node: "s1")
        try await store.openSession(username: "carol", node: "s2")

        try await store.removeNode("s1")
        #expect(try await store.nodes().map(\.name) == ["s2"])
        #expect(try await store.sessionNode(of: "alice") == nil)
        #expect(try await store.sessionNode(of: "carol") == "s2", "other nodes' sessions stay")
        try await store.openSession(username: "alice", node: "s2")
        await #expect(throws: StoreError.alreadyLoggedIn(node: "s2")) {
            try await store.openSession(username: "carol", node: "s1")
        }
    }

    /// Node death (DESIGN §7): once its heartbeat is old enough, its users can sign in on another node.
    static func reapClearsDeadNodesSessions(_ context: ContractContext) async throws {
        let store = try await context.open()
        let now = Fixtures.createdAt
        try await store.registerNode(Fixtures.node("s1", port: 7001, at: now.addingTimeInterval(-10)))
        try await store.registerNode(Fixtures.node("s2", port: 7002, at: now))
        try await store.registerNode(Fixtures.node("s3", port: 7003, at: now.addingTimeInterval(-20)))
        try await store.openSession(username: "alice", node: "s1")
        try await store.openSession(username: "bob", node: "s2")
        try await store.openSession(username: "carol", node: "s3")
        await #expect(throws: StoreError.alreadyLoggedIn(node: "s1")) {
            try await store.openSession(username: "alice", node: "s2")
        }

        #expect(try await store.reapNodes(heartbeatBefore: now.addingTimeInterval(-3)) == ["s1", "s3"])
        #expect(try await store.nodes().map(\.name) == ["s2"])
        #expect(try await store.sessionNode(of: "alice") == nil)
        #expect(try await store.sessionNode(of: "carol") == nil)
        try await store.openSession(username: "alice", node: "s2")
        #expect(try await store.sessionNode(of: "alice") == "s2")
        #expect(try await store.sessionNode(of: "bob") == "s2", "the live node's sessions stay")
        #expect(try await store.reapNodes(heartbeatBefore: now.addingTimeInterval(-3)).isEmpty)
        #expect(try await store.heartbeat(node: "s1", connections: 0, at: now) == false)
    }

    /// Only a heartbeat strictly older than the cutoff is dead; a fresh heartbeat rescues a stale node.
    static func freshNodeIsNotReaped(_ context: ContractContext) async throws {
        let store = try await context.open()
        let cutoff = Fixtures.createdAt
        try await store.registerNode(Fixtures.node("edge", port: 7001, at: cutoff))
        try await store.registerNode(Fixtures.node("fresh", port: 7002, at: cutoff.addingTimeInterval(2)))
        try await store.registerNode(Fixtures.node("stale", port: 7003, at: cutoff.addingTimeInterval(-0.001)))
        try await store.openSession(username: "alice", node: "fresh")
        #expect(try await store.heartbeat(node: "stale", connections: 1, at: cutoff.addingTimeInterval(1)))

        #expect(try await store.reapNodes(heartbeatBefore: cutoff).isEmpty)
        #expect(try await store.nodes().map(\.name) == ["edge", "fresh", "stale"])
        #expect(try await store.sessionNode(of: "alice") == "fresh")
    }

    static func sessionNodeIsPresence(_ context: ContractContext) async throws {
        let store = try await context.open()
        #expect(try await store.sessionNode(of: "alice") == nil)
        try await store.openSession(username: "alice", node: "s2")
        #expect(try await store.sessionNode(of: "alice") == "s2")
        #expect(try await store.sessionNode(of: "Alice") == nil, "usernames are case-sensitive")
        try await store.closeSession(username: "alice", node: "s2")
        #expect(try await store.sessionNode(of: "alice") == nil)

        try await store.openSession(username: "alice", node: "s1")
        try await store.openSession(username: "bob", node: "s2")
        #expect(try await store.sessionNodes(of: ["alice", "bob", "carol", "Alice"]) == ["alice": "s1", "bob": "s2"])
        #expect(try await store.sessionNodes(of: []) == [:])
    }

    /// Two processes sharing the storage: one's registration and heartbeats are the other's view, and either may
    /// reap.
    static func registryIsShared(_ context: ContractContext) async throws {
        let node = try await context.open()
        let balancer = try await context.open()
        let s1 = Fixtures.node("s1", port: 7001)
        try await node.registerNode(s1)
        try await node.openSession(username: "alice", node: "s1")
        #expect(try await balancer.nodes() == [s1])
        #expect(try await balancer.sessionNode(of: "alice") == "s1")

        #expect(try await node.heartbeat(node: "s1", connections: 5, at: s1.heartbeatAt.addingTimeInterval(1)))
        #expect(try await balancer.nodes().map(\.connections) == [5])

        #expect(try await balancer.reapNodes(heartbeatBefore: s1.heartbeatAt.addingTimeInterval(5)) == ["s1"])
        #expect(try await node.heartbeat(node: "s1", connections: 5, at: s1.heartbeatAt.addingTimeInterval(6)) == false)
        #expect(try await node.sessionNode(of: "alice") == nil)
    }

    /// Nodes heartbeating while another process reaps: no write fails, and a node is never reaped with a fresh
    /// heartbeat.
    static func concurrentHeartbeatsAndReaps(_ context: ContractContext) async throws {
        let stores = [try await context.open(), try await context.open()]
        let start = Fixtures.createdAt
        let names = (1...6).map { "s\($0)" }
        for (index, name) in names.enumerated() {
            try await stores[0].registerNode(Fixtures.node(name, port: 7001 + index, at: start))
        }
        let reaped = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, name) in names.enumerated() {
                let store = stores[index % 2]
                group.addTask {
                    for beat in 1...20 {
                        guard try await store.heartbeat(node: name, connections: beat, at: start.addingTimeInterval(10))
                        else { return [] }
                    }
                    return []
                }
            }
            group.addTask {
                var reaped: [String] = []
                for _ in 0..<20 {
                    reaped += try await stores[1].reapNodes(heartbeatBefore: start.addingTimeInterval(5))
                }
                return reaped
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let remaining = try await stores[0].nodes()
        #expect(Set(reaped).union(remaining.map(\.name)) == Set(names))
        #expect(Set(reaped).isDisjoint(with: remaining.map(\.name)))
        #expect(remaining.allSatisfy { $0.heartbeatAt == start.addingTimeInterval(10) && $0.connections == 20 })
    }
}
