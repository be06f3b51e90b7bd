import FastChatClient
import FastChatProtocol
import Foundation
import Synchronization
import Testing

/// Strategies over real node processes behind a real balancer process: where clients land, dead nodes skipped,
/// a restarted node rejoining. No live node is ever taken for dead (`--dead-after` an hour): on a loaded machine a
/// starved heartbeat would otherwise move clients; the dead node's row is removed the way a reaping node does.
@Suite(.heavy, .serialized, .timeLimit(.minutes(10))) struct PlacementTests {
    private struct Cluster {
        let scratch: Scratch
        let database: TestDatabase
        var nodes: [String: ServerProcess]
        let balancer: ChildProcess
        let endpoint: Endpoint
        let tls: TestTLS

        static func start(strategy: String, on backend: Backend, nodes count: Int = 3) async throws -> Cluster {
            let scratch = try Scratch()
            let database = try await TestDatabase.make(backend, in: scratch.url)
            let tls = try TestTLS(in: scratch.url)
            var nodes: [String: ServerProcess] = [:]
            for index in 1...count {
                nodes["s\(index)"] = try await ServerProcess.start(
                    database: database.argument, name: "s\(index)", extraArguments: patientHeartbeats, in: scratch.url)
            }
            let port = try unusedLoopbackPort()
            let balancer = try FastChatCLI.start(
                ["balancer", "--port", "\(port)", "--strategy", strategy, "--database", database.argument]
                    + patientHeartbeats + tls.serverArguments,
                in: scratch.url)
            let cluster = Cluster(
                scratch: scratch, database: database, nodes: nodes, balancer: balancer,
                endpoint: Endpoint(host: "127.0.0.1", port: port), tls: tls)
            let names = Set(nodes.keys)
            let ready = await poll(until: .now + patience) { await cluster.liveNodes() == names }
            #expect(ready, "the balancer sees every node")
            return cluster
        }

        /// Runs `body` with a cluster (which it may change: restart a node) and stops that cluster afterwards, even
        /// when `body` fails.
        static func with(
            strategy: String, on backend: Backend, _ body: (inout Cluster) async throws -> Void
        ) async throws {
            var cluster = try await start(strategy: strategy, on: backend)
            do {
                try await body(&cluster)
            } catch {
                await cluster.stop()
                throw error
            }
            await cluster.stop()
        }

        /// The nodes the balancer reports alive (via `fastchat status --json`).
        func liveNodes() async -> Set<String> {
            guard let result = try? await FastChatCLI.run(
                ["status", "--json", "--connect", "\(endpoint)", "--ca", tls.caFile], in: scratch.url),
                result.exitCode == 0,
                let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                let nodes = object["nodes"] as? [[String: Any]]
            else { return [] }
            return Set(nodes.filter { $0["alive"] as? Bool == true }.compactMap { $0["name"] as? String })
        }

        /// Connects `count` fresh users through the balancer and returns the node each landed on.
        func place(_ count: Int, prefix: String) async throws -> [String] {
            var placed: [String] = []
            for index in 0..<count {
                let client = ChatClient(
                    options: .init(
                        endpoint: endpoint, tls: tls.clientTLS, home: scratch.url.appendingPathComponent("homes"),
                        kdf: .fast, answerTimeout: patience))
                try await client.signUp(username: "\(prefix)\(index)", password: "pw")
                try await client.signIn(username: "\(prefix)\(index)", password: "pw")
                placed.append(await client.nodeName ?? "?")
                // Stay connected: least-connections counts live sessions.
                clients.append(client)
            }
            return placed
        }

        let clients = ClientBox()

        func stop() async {
            balancer.signal(SIGKILL)
            for node in nodes.values { node.process.signal(SIGKILL) }
            try? await database.destroy()
            scratch.remove()
        }
    }

    final class ClientBox: Sendable {
        private let all = Mutex<[ChatClient]>([])
        func append(_ client: ChatClient) { all.withLock { $0.append(client) } }
    }

    @Test(arguments: Backend.all)
    func roundRobinSpreadsTwoTwoTwo(_ backend: Backend) async throws {
        try await Cluster.with(strategy: "round-robin", on: backend) { cluster in
            let placed = try await cluster.place(6, prefix: "rr")
            #expect(placed.sorted() == ["s1", "s1", "s2", "s2", "s3", "s3"])
        }
    }

    @Test(arguments: Backend.all)
    func singleSendsEveryoneToTheFirst(_ backend: Backend) async throws {
        try await Cluster.with(strategy: "single", on: backend) { cluster in
            let placed = try await cluster.place(4, prefix: "one")
            #expect(placed == ["s1", "s1", "s1", "s1"])
        }
    }

    @Test(arguments: Backend.all)
    func deadNodeIsSkippedAndARestartedNodeRejoins(_ backend: Backend) async throws {
        try await Cluster.with(strategy: "round-robin", on: backend) { cluster in
            await cluster.nodes["s2"]!.kill9()
            // What a live node does once s2's heartbeat is older than --dead-after (ClusterTests covers that finding).
            try await cluster.database.withStore { try await $0.removeNode("s2") }
            let gone = await poll(until: .now + patience) { await !cluster.liveNodes().contains("s2") }
            #expect(gone)
            let placed = try await cluster.place(4, prefix: "skip")
            #expect(!placed.contains("s2"), "\(placed)")
            #expect(Set(placed) == ["s1", "s3"])

            cluster.nodes["s2"] = try await ServerProcess.start(
                database: cluster.database.argument, name: "s2", extraArguments: patientHeartbeats, in: cluster.scratch.url)
            let back = await poll(until: .now + patience) { await cluster.liveNodes().contains("s2") }
            #expect(back)
            let later = try await cluster.place(3, prefix: "back")
            #expect(later.contains("s2"), "\(later)")
        }
    }
}

/// Nodes and balancer that take no node for dead within the hour a test lasts at most.
let patientHeartbeats = ["--dead-after", "3600"]
