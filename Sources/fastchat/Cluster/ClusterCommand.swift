import ArgumentParser
import FastChatBalancer
import FastChatClient
import FastChatProtocol
import FastChatTLS
import Foundation
import Logging

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Start a balancer and N chat nodes (separate processes), optionally M simulated clients."
    )

    @Option(help: "Number of chat nodes.")
    var servers = 3

    @Option(help: "Number of simulated clients that chat 1:1 and in a group.")
    var clients = 0

    @Option(help: "Balancer strategy: \(StrategyName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var strategy: StrategyName = .leastConnections

    @Option(help: "Balancer port; the nodes listen on the ports after it.")
    var port = 7000

    @Option(help: "Store URL (default: sqlite:<data>/fastchat.db).")
    var database: String?

    @Option(help: "Directory for the embedded store and the processes' logs.")
    var data = "./fastchat-data"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Flag(name: .customLong("no-tls"), help: "Run every process in plaintext (benchmarks and debugging only).")
    var noTLS = false

    @OptionGroup var metrics: ClusterMetricsOption

    func validate() throws {
        guard (1...64).contains(servers) else { throw ValidationError("--servers must be between 1 and 64.") }
        guard clients >= 0 else { throw ValidationError("--clients cannot be negative.") }
        guard (1...(65535 - servers)).contains(port) else { throw ValidationError("--port is out of range.") }
        try metrics.validate(servers: servers, chatPort: port)
    }

    func run() async throws {
        let logger = makeLogger(label: "fastchat.cluster", level: logLevel)
        let dataDirectory = URL(fileURLWithPath: data, isDirectory: true)
        let store = database ?? "sqlite:" + dataDirectory.appendingPathComponent("fastchat.db").path
        do {
            let children = try ChildProcesses(logDirectory: dataDirectory.appendingPathComponent("logs"))
            // Made before the processes start, so they all find one CA instead of racing to create it.
            let tls = noTLS ? nil : TLSDirectory(path: dataDirectory.appendingPathComponent("tls").path)
            let authority = try tls?.authority(create: true)
            let cluster = ClusterService(
                children: children,
                plan: .init(servers: servers, clients: clients, strategy: strategy, port: port, database: store,
                            logLevel: logLevel, home: dataDirectory.appendingPathComponent("simulated-clients"),
                            tlsDirectory: tls, clientTLS: try authority.map { try ClientTLS(trust: .authority($0.certificate)) },
                            metrics: try metrics.endpoint),
                logger: logger
            )
            try await runUntilSignalled(cluster, logger: logger)
        } catch {
            throw fail(error)
        }
    }
}

extension StrategyName: ExpressibleByArgument {}
