import FastChatBalancer
import FastChatBench
import FastChatClient
import Foundation
import Logging

/// The processes one benchmark run measures: N nodes and a balancer on a fresh store, or a cluster that is already
/// running (`--connect`), whose node pids the balancer reports.
struct BenchCluster {
    let endpoint: Endpoint
    let servers: Int
    private let pids: [String: Int32]
    private let children: ChildProcesses?

    static func start(
        servers: Int, strategy: StrategyName, database: String?, directory: URL, port: Int, logLevel: Logger.Level
    ) async throws -> BenchCluster {
        try? FileManager.default.removeItem(at: directory)
        let children = try ChildProcesses(logDirectory: directory.appendingPathComponent("logs"))
        let store = database ?? "sqlite:" + directory.appendingPathComponent("fastchat.db").path
        let host = "127.0.0.1"
        var pids: [String: Int32] = [:]
        do {
            for index in 1...servers {
                let name = "s\(index)"
                pids[name] = try children.start(
                    name,
                    ["server", "--host", host, "--port", "\(port + index)", "--name", name, "--database", store,
                     "--log-level", logLevel.rawValue,
                     // A thousand simulated users sign in from one address, as fast as they can.
                     "--auth-limit", "10000000", "--auth-limit-per-account", "10000000"])
                try await children.waitUntilAnswering(name: name, at: "\(host):\(port + index)") {
                    let (connection, _) = try await FrameConnection.open(to: Endpoint(host: host, port: port + index))
                    await connection.close()
                }
            }
            _ = try children.start(
                "balancer",
                ["balancer", "--host", host, "--port", "\(port)", "--strategy", strategy.rawValue, "--database", store,
                 "--log-level", logLevel.rawValue])
            try await children.waitUntilAnswering(name: "balancer", at: "\(host):\(port)") {
                let status = try await StatusQuery.fetch(host: host, port: port, timeout: .seconds(1))
                guard status.nodes.filter(\.alive).count == servers else { throw CancellationError() }
            }
        } catch {
            children.stopAll()
            throw error
        }
        return BenchCluster(endpoint: Endpoint(host: host, port: port), servers: servers, pids: pids, children: children)
    }

    static func connect(to endpoint: Endpoint) async throws -> BenchCluster {
        let status = try await StatusQuery.fetch(host: endpoint.host, port: endpoint.port)
        let alive = status.nodes.filter(\.alive)
        let pids = Dictionary(alive.map { ($0.name, Int32(clamping: $0.pid)) }, uniquingKeysWith: { first, _ in first })
        return BenchCluster(endpoint: endpoint, servers: alive.count, pids: pids, children: nil)
    }

    /// CPU time and memory of every node this machine can see.
    var sampler: LoadGenerator.Sampler {
        let pids = self.pids
        return { pids.compactMapValues { ProcessSample.read(pid: $0) } }
    }

    func stop() {
        children?.stopAll()
    }
}
