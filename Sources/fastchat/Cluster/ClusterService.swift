import FastChatBalancer
import FastChatClient
import FastChatProtocol
import FastChatTLS
import Foundation
import Logging
import ServiceLifecycle

/// Runs the processes of one cluster and its status line until a shutdown signal, then stops them all.
struct ClusterService: Service {
    struct Plan: Sendable {
        var servers: Int
        var clients: Int
        var strategy: StrategyName
        var port: Int
        var database: String
        var logLevel: Logger.Level
        var home: URL
        /// The cluster CA directory every process uses; nil runs them all with `--no-tls`.
        var tlsDirectory: TLSDirectory?
        var clientTLS: ClientTLS?
        /// The balancer's metrics address; node sN serves its own on the port N above it. Nil: no metrics.
        var metrics: Endpoint?

        var tlsArguments: [String] { tlsDirectory.map { ["--tls-dir", $0.url.path] } ?? ["--no-tls"] }

        /// `--metrics` for the process `offset` ports above the balancer's (0: the balancer, N: node sN).
        func metricsArguments(offset: Int) -> [String] {
            ClusterMetricsOption.arguments(metrics, offset: offset)
        }
    }

    let children: ChildProcesses
    let plan: Plan
    let logger: Logger

    func run() async throws {
        defer { children.stopAll() }
        let host = "127.0.0.1"
        let level = plan.logLevel.rawValue
        for index in 1...plan.servers {
            let port = plan.port + index
            let pid = try children.start(
                "s\(index)",
                ["server", "--host", host, "--port", "\(port)", "--name", "s\(index)", "--database", plan.database,
                 "--log-level", level] + plan.tlsArguments + plan.metricsArguments(offset: index)
                    // The simulated clients all sign up and in from this machine's address.
                    + (plan.clients > 0
                        ? ["--auth-limit", "\(max(60, 4 * plan.clients))"] + BenchCluster.crowdFromOneAddress : []))
            Terminal.line("server s\(index) \(host):\(port) pid \(pid)")
            try await children.waitUntilAnswering(name: "s\(index)", at: "\(host):\(port)") {
                let (connection, _) = try await FrameConnection.open(to: Endpoint(host: host, port: port), tls: plan.clientTLS)
                await connection.close()
            }
        }
        let pid = try children.start(
            "balancer",
            ["balancer", "--host", host, "--port", "\(plan.port)", "--strategy", plan.strategy.rawValue,
             "--database", plan.database, "--log-level", level] + plan.tlsArguments + plan.metricsArguments(offset: 0)
                + (plan.clients > 0 ? BenchCluster.crowdFromOneAddress : []))
        Terminal.line("balancer \(host):\(plan.port) pid \(pid) strategy \(plan.strategy.rawValue)")
        if let metrics = plan.metrics {
            Terminal.line("metrics: balancer http://\(metrics)/metrics, node sN on port \(metrics.port)+N")
        }
        try await children.waitUntilAnswering(name: "balancer", at: "\(host):\(plan.port)") {
            _ = try await StatusQuery.fetch(host: host, port: plan.port, tls: plan.clientTLS, timeout: .seconds(1))
        }
        Terminal.line("Logs in \(plan.home.deletingLastPathComponent().appendingPathComponent("logs").path). Ctrl-C stops everything.")

        let simulation =
            plan.clients > 0
            ? ChatSimulation(
                endpoint: Endpoint(host: host, port: plan.port), tls: plan.clientTLS, home: plan.home, count: plan.clients, logger: logger)
            : nil
        try await simulation?.start()

        await withTaskGroup(of: Void.self) { group in
            if let simulation {
                group.addTask { await simulation.run() }
            }
            group.addTask { await self.reportStatus(host: host, simulation: simulation) }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await simulation?.stop()
        Terminal.line("Stopping \(plan.servers + 1) processes…")
    }

    private func reportStatus(host: String, simulation: ChatSimulation?) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard !Task.isCancelled else { return }
            var parts: [String] = []
            let snapshot = await simulation?.snapshot()
            if let status = try? await StatusQuery.fetch(host: host, port: plan.port, tls: plan.clientTLS, timeout: .seconds(1)) {
                parts = status.nodes.map { node in
                    guard node.alive else { return "\(node.name) DEAD" }
                    let rate = snapshot.map { String(format: " %.0f msg/s", $0.deliveredPerSecondByNode[node.name] ?? 0) }
                    return "\(node.name) \(node.connections) conn\(rate ?? "")"
                }
            } else {
                parts = ["balancer not answering"]
            }
            if let snapshot {
                parts.append(String(format: "delivered %.0f/s", snapshot.deliveredPerSecond))
                if let p50 = snapshot.p50Milliseconds, let p99 = snapshot.p99Milliseconds {
                    parts.append(String(format: "p50 %.1f ms p99 %.1f ms", p50, p99))
                }
            }
            let exited = children.exited()
            if !exited.isEmpty { parts.append("exited: \(exited.joined(separator: ", "))") }
            Terminal.line(parts.joined(separator: " | "))
        }
    }
}
