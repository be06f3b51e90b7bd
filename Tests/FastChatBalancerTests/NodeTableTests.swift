import FastChatBalancer
import FastChatStore
import Foundation
import Testing

/// Placement against a real registry: liveness from the store's heartbeats, the balancer's own counts between
/// heartbeats, nodes dying and joining.
@Suite(.timeLimit(.minutes(10))) struct NodeTableTests {
    /// A table over `store` with a manual clock and a seeded generator; dead after 3 s.
    func table(_ name: StrategyName, _ store: some ChatStore, clock: ManualClock, blockSize: Int = 3) -> NodeTable {
        NodeTable(
            store: store,
            strategy: name.makeStrategy(blockSize: blockSize),
            deadAfter: .seconds(3),
            logger: Fixtures.logger,
            random: SeededRandom(seed: 42),
            now: { clock.now }
        )
    }

    /// Registers s1, s2, … (one per connection count), heard from now, and returns a refreshed table.
    func nodes(
        _ name: StrategyName, _ store: some ChatStore, clock: ManualClock, connections: [Int] = [0, 0, 0]
    ) async throws -> NodeTable {
        for (index, count) in connections.enumerated() {
            try await store.registerNode(
                Fixtures.node("s\(index + 1)", port: 7001 + index, connections: count, heartbeatAt: clock.now))
        }
        let table = table(name, store, clock: clock)
        try await table.refresh()
        return table
    }

    func place(_ table: NodeTable, _ count: Int) async -> [String] {
        var names: [String] = []
        for _ in 0..<count {
            names.append(await table.place()?.name ?? "none")
        }
        return names
    }

    @Test func roundRobinPlacesOneEach() async throws {
        try await withStore { store in
            let table = try await nodes(.roundRobin, store, clock: ManualClock())
            #expect(await place(table, 9) == ["s1", "s2", "s3", "s1", "s2", "s3", "s1", "s2", "s3"])
        }
    }

    @Test func blockPlacesBlocksOfK() async throws {
        try await withStore { store in
            let table = try await nodes(.block, store, clock: ManualClock())
            #expect(await place(table, 9) == ["s1", "s1", "s1", "s2", "s2", "s2", "s3", "s3", "s3"])
        }
    }

    @Test func singlePlacesEverythingOnTheFirst() async throws {
        try await withStore { store in
            let table = try await nodes(.single, store, clock: ManualClock())
            #expect(await place(table, 9) == Array(repeating: "s1", count: 9))
        }
    }

    /// Between two heartbeats the nodes report nothing new; the balancer's own count spreads a burst.
    @Test func leastConnectionsSpreadsABurst() async throws {
        try await withStore { store in
            let table = try await nodes(.leastConnections, store, clock: ManualClock())
            #expect(await place(table, 9) == ["s1", "s2", "s3", "s1", "s2", "s3", "s1", "s2", "s3"])
        }
    }

    @Test func leastConnectionsFillsTheEmptiest() async throws {
        try await withStore { store in
            let table = try await nodes(.leastConnections, store, clock: ManualClock(), connections: [4, 0, 1])
            #expect(await place(table, 7) == ["s2", "s2", "s3", "s2", "s3", "s2", "s3"])
            #expect(await place(table, 3) == ["s1", "s2", "s3"], "all at 4: first by name")
        }
    }

    /// A heartbeat's connection count replaces the balancer's count of the clients it sent before it.
    @Test func heartbeatReplacesTheBalancersCount() async throws {
        try await withStore { store in
            let clock = ManualClock()
            let table = try await nodes(.leastConnections, store, clock: clock, connections: [0, 0])
            #expect(await place(table, 3) == ["s1", "s2", "s1"])
            clock.advance(by: 1)
            // s1's two clients have gone again; s2's one has not reported yet.
            #expect(try await store.heartbeat(node: "s1", connections: 0, at: clock.now))
            #expect(await place(table, 1) == ["s2"], "not refreshed yet: s1 still counts 2")
            try await table.refresh()
            #expect(await place(table, 2) == ["s1", "s1"])
        }
    }

    @Test func powerOfTwoAvoidsTheMostLoaded() async throws {
        try await withStore { store in
            let table = try await nodes(.powerOfTwo, store, clock: ManualClock(), connections: [50, 0, 0])
            let picks = await place(table, 40)
            #expect(!picks.contains("s1"))
            #expect(picks.count { $0 == "s2" } >= 10 && picks.count { $0 == "s3" } >= 10)
        }
    }

    @Test(arguments: StrategyName.allCases)
    func deadNodesAreNeverChosen(_ name: StrategyName) async throws {
        try await withStore { store in
            let clock = ManualClock()
            let stale = clock.now.addingTimeInterval(-3.001)
            try await store.registerNode(Fixtures.node("s1", port: 7001, heartbeatAt: stale))
            try await store.registerNode(Fixtures.node("s2", port: 7002, connections: 9, heartbeatAt: clock.now))
            try await store.registerNode(Fixtures.node("s3", port: 7003, heartbeatAt: clock.now.addingTimeInterval(-2)))
            let table = table(name, store, clock: clock)
            try await table.refresh()
            let picks = await place(table, 30)
            #expect(!picks.contains("s1"))
            #expect(Set(picks).isSubset(of: ["s2", "s3"]))
            #expect(await table.view().map(\.alive) == [false, true, true])

            // s3's heartbeat goes stale too: it is skipped at once, without a refresh.
            clock.advance(by: 1.5)
            #expect(await place(table, 10) == Array(repeating: "s2", count: 10))
            clock.advance(by: 2)
            #expect(await table.place() == nil, "no live node")
            #expect(await table.view().map(\.alive) == [false, false, false])
        }
    }

    @Test(arguments: StrategyName.allCases)
    func aNodeThatJoinsLaterGetsClients(_ name: StrategyName) async throws {
        try await withStore { store in
            let clock = ManualClock()
            let table = try await nodes(name, store, clock: clock, connections: [2, 2, 2])
            #expect(!(await place(table, 12)).contains("s0"))

            // "s0" sorts first, so it is also the one `single` moves to.
            try await store.registerNode(Fixtures.node("s0", port: 7000, heartbeatAt: clock.now))
            try await table.refresh()
            #expect(await place(table, 30).contains("s0"))
        }
    }

    @Test func noNodesNoPlacement() async throws {
        try await withStore { store in
            let table = table(.roundRobin, store, clock: ManualClock())
            try await table.refresh()
            #expect(await table.place() == nil)
            #expect(await table.view().isEmpty)
        }
    }

    @Test func removedNodeLeavesTheTableOnRefresh() async throws {
        try await withStore { store in
            let table = try await nodes(.roundRobin, store, clock: ManualClock())
            try await store.removeNode("s2")
            try await table.refresh()
            #expect(await table.view().map(\.record.name) == ["s1", "s3"])
            #expect(!(await place(table, 6)).contains("s2"))
        }
    }
}
