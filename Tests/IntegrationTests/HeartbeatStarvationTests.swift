import Foundation
import GRDB
import Synchronization
import Testing

/// A saturated node's message work fills the cooperative pool. Its heartbeat must not wait behind that work, or the
/// other nodes take it for dead and clear its sessions while its users are connected (issue 12, item 8).
@Suite(.timeLimit(.minutes(10))) struct HeartbeatStarvationTests {
    @Test func aNodeHeartbeatsWhileEveryThreadOfTheCooperativePoolIsBusy() async throws {
        try await withNode(configure: {
            $0.heartbeatInterval = .milliseconds(100)
            $0.deadAfter = .seconds(3600)
        }) { node in
            guard case .sqlite(let path) = node.database else {
                Issue.record("The harness node runs on SQLite here")
                return
            }
            // The heartbeat loop must be running before the pool is blocked (its start needs the pool).
            let beating = try await node.database.withStore { store in
                let first = try await store.nodes().first { $0.name == "t1" }?.heartbeatAt
                return try await poll(until: .now + patience) {
                    try await store.nodes().first { $0.name == "t1" }?.heartbeatAt != first
                }
            }
            #expect(beating, "the node heartbeats")
            let observation = try await PoolBlockade(width: ProcessInfo.processInfo.activeProcessorCount)
                .observe(path: path, node: "t1", beats: 3, within: .seconds(60))
            #expect(observation.poolWasBlocked, "a task started while the blockade held did not run until it ended")
            #expect(observation.beatsSeen >= 3, "the heartbeat advanced \(observation.beatsSeen) times while blocked")
        }
    }
}

/// Occupies every thread of the cooperative pool with synchronous work until the node's heartbeat has advanced
/// `beats` times (read straight from the SQLite file, without the pool), or until `within` has passed.
private struct PoolBlockade: Sendable {
    struct Observation: Sendable {
        var beatsSeen: Int
        var poolWasBlocked: Bool
    }

    let width: Int

    init(width: Int) throws {
        self.width = max(1, width)
    }

    func observe(path: String, node: String, beats: Int, within limit: Duration) async throws -> Observation {
        var configuration = Configuration()
        configuration.readonly = true
        let database = try DatabaseQueue(path: path, configuration: configuration)
        let shared = Shared()
        let deadline = ContinuousClock.now + limit
        // The test's own task waits suspended (holding no thread) for the blockade's tasks, which end together.
        return await withTaskGroup(of: Observation?.self) { group in
            for index in 0..<width {
                group.addTask {
                    shared.started.add(1, ordering: .sequentiallyConsistent)
                    while shared.started.load(ordering: .sequentiallyConsistent) < width && ContinuousClock.now < deadline {
                        usleep(1_000)
                    }
                    if index == 0 {
                        return await watch(database, node: node, beats: beats, until: deadline, shared: shared)
                    }
                    while !shared.released.load(ordering: .sequentiallyConsistent) { usleep(1_000) }
                    return nil
                }
            }
            var observation: Observation?
            for await each in group where each != nil { observation = each }
            return observation!
        }
    }

    /// Ends the blockade (`released`) once it has seen the beats or run out of time.
    private func watch(_ database: DatabaseQueue, node: String, beats: Int, until deadline: ContinuousClock.Instant,
                       shared: Shared) async -> Observation {
        let allStarted = shared.started.load(ordering: .sequentiallyConsistent) >= width
        return await withTaskGroup(of: Void.self) { canary in
            // Proof that the pool is full: a task started now cannot run before the blockade ends. It runs (and is
            // awaited) once the blockade has been released.
            canary.addTask { shared.canaryRan.store(true, ordering: .sequentiallyConsistent) }
            var last = try? heartbeat(of: node, in: database)
            var seen = 0
            while seen < beats && ContinuousClock.now < deadline {
                usleep(10_000)
                let current = try? heartbeat(of: node, in: database)
                if let current, current != last {
                    seen += 1
                    last = current
                }
            }
            let blocked = allStarted && !shared.canaryRan.load(ordering: .sequentiallyConsistent)
            shared.released.store(true, ordering: .sequentiallyConsistent)
            return Observation(beatsSeen: seen, poolWasBlocked: blocked)
        }
    }

    private func heartbeat(of node: String, in database: DatabaseQueue) throws -> Int64? {
        try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT heartbeat_at FROM nodes WHERE name = ?", arguments: [node])
        }
    }

    private final class Shared: Sendable {
        let started = Atomic<Int>(0)
        let released = Atomic<Bool>(false)
        let canaryRan = Atomic<Bool>(false)
    }
}
