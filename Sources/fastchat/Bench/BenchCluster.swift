import FastChatBalancer
import FastChatBench
import FastChatClient
import FastChatProtocol
import FastChatTLS
import Foundation
import Logging

/// The processes one benchmark run measures: N nodes and a balancer on a fresh store, or a cluster that is already
/// running (`--connect`), whose node pids the balancer reports.
struct BenchCluster {
    /// Every simulated client connects from this machine: the per-address connection cap must not apply.
    static let crowdFromOneAddress = ["--max-connections", "1000000", "--max-connections-per-address", "1000000"]
    let endpoint: Endpoint
    /// How the load generator verifies the nodes; nil for a `--tls off` run.
    let tls: ClientTLS?
    let servers: Int
    private let pids: [String: Int32]
    private let children: ChildProcesses?
    /// Started nodes by name, to restart them (`--rolling-restart`).
    private var nodes: [String: Endpoint] = [:]

    static func start(
        servers: Int, strategy: StrategyName, database: String?, directory: URL, port: Int, logLevel: Logger.Level,
        tls useTLS: Bool, metrics: Endpoint?
    ) async throws -> BenchCluster {
        try? FileManager.default.removeItem(at: directory)
        let children = try ChildProcesses(logDirectory: directory.appendingPathComponent("logs"))
        children.stopAllOnTermination()
        let tlsDirectory = useTLS ? TLSDirectory(path: directory.appendingPathComponent("tls").path) : nil
        let tls = try tlsDirectory.map { try ClientTLS(trust: .authority(try $0.authority(create: true).certificate)) }
        let tlsArguments = tlsDirectory.map { ["--tls-dir", $0.url.path] } ?? ["--no-tls"]
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
                     "--auth-limit", "10000000", "--auth-limit-per-account", "10000000"] + Self.crowdFromOneAddress
                        + tlsArguments + ClusterMetricsOption.arguments(metrics, offset: index))
                try await children.waitUntilAnswering(name: name, at: "\(host):\(port + index)") {
                    let (connection, _) = try await FrameConnection.open(to: Endpoint(host: host, port: port + index), tls: tls)
                    await connection.close()
                }
            }
            _ = try children.start(
                "balancer",
                ["balancer", "--host", host, "--port", "\(port)", "--strategy", strategy.rawValue, "--database", store,
                 "--log-level", logLevel.rawValue] + Self.crowdFromOneAddress + tlsArguments
                    + ClusterMetricsOption.arguments(metrics, offset: 0))
            try await children.waitUntilAnswering(name: "balancer", at: "\(host):\(port)") {
                let status = try await StatusQuery.fetch(host: host, port: port, tls: tls, timeout: .seconds(1))
                guard status.nodes.filter(\.alive).count == servers else { throw CancellationError() }
            }
        } catch {
            children.stopAll()
            throw error
        }
        var cluster = BenchCluster(
            endpoint: Endpoint(host: host, port: port), tls: tls, servers: servers, pids: pids, children: children)
        cluster.nodes = Dictionary(uniqueKeysWithValues: (1...servers).map { ("s\($0)", Endpoint(host: host, port: port + $0)) })
        return cluster
    }

    /// A rolling restart: each node in turn gets SIGTERM (it drains: its clients move to the others), and starts
    /// again; the next one goes once it answers. Returns how many were restarted.
    func restartNodesInTurn() async throws -> Int {
        guard let children else { throw ProtocolError(.badRequest, "A rolling restart needs a cluster the bench started.") }
        let tls = self.tls
        for (name, endpoint) in nodes.sorted(by: { $0.key < $1.key }) {
            _ = try await children.restart(name, grace: .seconds(120))
            try await children.waitUntilAnswering(name: name, at: "\(endpoint)") {
                let (connection, _) = try await FrameConnection.open(to: endpoint, tls: tls)
                await connection.close()
            }
        }
        return nodes.count
    }

    static func connect(to endpoint: Endpoint, tls: ClientTLS?) async throws -> BenchCluster {
        let status = try await StatusQuery.fetch(host: endpoint.host, port: endpoint.port, tls: tls)
        let alive = status.nodes.filter(\.alive)
        let pids = Dictionary(alive.map { ($0.name, Int32(clamping: $0.pid)) }, uniquingKeysWith: { first, _ in first })
        return BenchCluster(endpoint: endpoint, tls: tls, servers: alive.count, pids: pids, children: nil)
    }

    /// CPU time and memory of every node this machine can see (a restarted node's CPU time including its earlier
    /// processes', its memory its current process's).
    var sampler: LoadGenerator.Sampler {
        let (pids, children) = (self.pids, self.children)
        return {
            let current = children?.pids().filter { pids.keys.contains($0.key) } ?? pids
            var samples = current.compactMapValues { ProcessSample.read(pid: $0) }
            // A restarted node's CPU time is its processes' together, so that the window's difference stays true.
            for name in samples.keys {
                samples[name]?.cpuSeconds += children?.exitedCPUSeconds(of: name) ?? 0
            }
            return samples
        }
    }

    func stop() {
        children?.stopAll()
    }
}
