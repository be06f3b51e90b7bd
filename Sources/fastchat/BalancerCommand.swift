import ArgumentParser
import FastChatBalancer
import FastChatProtocol
import FastChatStore
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

struct BalancerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balancer",
        abstract: "Run the distribution server: answers each client's Hello with a redirect to a live node."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 7000

    @Option(help: "Store: sqlite:PATH (embedded) or postgres://USER:PASSWORD@HOST:PORT/DB.")
    var database = "sqlite:./fastchat-data/fastchat.db"

    @Option(help: "How clients are placed on nodes.")
    var strategy: StrategyName = .leastConnections

    @Option(help: "Consecutive clients per node with the block strategy.")
    var blockSize = 3

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @OptionGroup var deadAfter: DeadAfterOption

    @OptionGroup var tls: TLSServerOptions

    @OptionGroup var connectionLimits: ConnectionLimitOptions

    @OptionGroup var metrics: MetricsOptions

    func validate() throws {
        guard blockSize >= 1 else { throw ValidationError("--block-size must be at least 1.") }
    }

    func run() async throws {
        let logger = makeLogger(label: "fastchat.balancer", level: logLevel)
        do {
            let metricsEndpoint = try metrics.endpoint
            let exported = metricsEndpoint.map { _ in MetricsSetup.bootstrap() }
            let storeURL = try StoreURL(parsing: database)
            let identity = try tls.settings.identity(name: "balancer", host: host, sqliteFile: storeURL.sqliteFile)
            let configuration = BalancerConfiguration(
                host: host, port: port, strategy: strategy, blockSize: blockSize, deadAfter: deadAfter.duration,
                tls: identity, connectionLimits: connectionLimits.limits)
            try await withStore(storeURL, logger: logger) { store in
                let balancer: Balancer
                do {
                    balancer = try await Balancer.bind(configuration: configuration, store: store, logger: logger)
                } catch let error as IOError {
                    throw ProtocolError(
                        .internal, "Cannot listen on \(host):\(port): \(String(cString: strerror(error.errnoCode)).lowercased())."
                    )
                }
                var services: [any Service] = [balancer]
                if let metricsEndpoint, let (registry, process) = exported {
                    services.append(
                        try await MetricsSetup.endpoint(
                            on: metricsEndpoint, registry: registry, process: process, logger: logger,
                            problem: { try await balancer.healthProblem() }))
                }
                try await runUntilSignalled(services, logger: logger)
            }
        } catch {
            throw fail(error)
        }
    }
}
