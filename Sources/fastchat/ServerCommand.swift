import ArgumentParser
import FastChatCrypto
import FastChatServer
import FastChatStore
import FastChatTLS
import Logging
import ServiceLifecycle

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run a chat node."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 7001

    @Option(help: "Store: sqlite:PATH (embedded) or postgres://USER:PASSWORD@HOST:PORT/DB.")
    var database = "sqlite:./fastchat-data/fastchat.db"

    @Option(help: "This node's name (unique in a cluster).")
    var name = "s1"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    // Nodes no longer hash passwords (they check signatures by login keys); still accepted so that existing scripts
    // keep starting nodes.
    @Option(
        name: .customLong("auth-hash-log2n"),
        help: ArgumentHelp("No longer used: nodes keep login keys, not password hashes.", visibility: .hidden))
    var authHashLog2N = AuthKeyHash.defaultParameters.log2N

    @OptionGroup var deadAfter: DeadAfterOption

    @OptionGroup var tls: TLSServerOptions

    @OptionGroup var connectionLimits: ConnectionLimitOptions

    @OptionGroup var metrics: MetricsOptions

    @Option(help: "Messages (and group notices) waiting for one user beyond which a send to them is refused (exit 15).")
    var mailboxQuotaMessages = 10_000

    @Option(help: "The same, in MiB of stored ciphertext.")
    var mailboxQuotaMb = 256

    @Option(help: "MiB of images one user's uploads may keep on the server at once; an upload beyond is refused (exit 30).")
    var uploadQuotaMb = 1024

    @Option(help: "Members one group may have; a join beyond it is refused (exit 25).")
    var maxGroupMembers = 1_000

    @Option(help: "Seconds a connection may send no frame before it is closed (clients ping well within it); 0: never.")
    var idleTimeout: Double = 120

    @Option(help: "Seconds a draining node (SIGTERM, fastchat drain) waits for its clients to move before it stops.")
    var drainTimeout: Double = 30

    @Option(
        name: .customLong("auth-limit"),
        help: "Password proofs (sign-ups, sign-ins, password changes, group creations and joins) per minute from one address; as many at once.")
    var authLimit = AuthLimits().perAddress.perMinute

    @Option(
        name: .customLong("auth-limit-per-account"),
        help: "The same, per account or group, from any address.")
    var authLimitPerAccount = AuthLimits().perAccount.perMinute

    func validate() throws {
        guard (10...20).contains(authHashLog2N) else { throw ValidationError("--auth-hash-log2n must be between 10 and 20.") }
        guard (1...10_000_000).contains(authLimit), (1...10_000_000).contains(authLimitPerAccount) else {
            throw ValidationError("--auth-limit and --auth-limit-per-account must be between 1 and 10000000.")
        }
        guard (1...100_000_000).contains(mailboxQuotaMessages), (1...1_000_000).contains(mailboxQuotaMb) else {
            throw ValidationError("--mailbox-quota-messages must be between 1 and 100000000, --mailbox-quota-mb between 1 and 1000000.")
        }
        guard (1...10_000_000).contains(uploadQuotaMb) else {
            throw ValidationError("--upload-quota-mb must be between 1 and 10000000.")
        }
        guard (2...1_000_000).contains(maxGroupMembers) else {
            throw ValidationError("--max-group-members must be between 2 and 1000000.")
        }
        guard idleTimeout.isFinite, idleTimeout == 0 || (3...86_400).contains(idleTimeout) else {
            throw ValidationError("--idle-timeout must be 0 (never) or between 3 and 86400 seconds.")
        }
        guard drainTimeout.isFinite, (0...86_400).contains(drainTimeout) else {
            throw ValidationError("--drain-timeout must be between 0 and 86400 seconds.")
        }
    }

    func run() async throws {
        FreedMemory.keep()
        let logger = makeLogger(label: "fastchat.server", level: logLevel)
        do {
            let metricsEndpoint = try metrics.endpoint
            // Before the node is made: it takes its metrics from the bootstrapped system.
            let exported = metricsEndpoint.map { _ in MetricsSetup.bootstrap() }
            let storeURL = try StoreURL(parsing: database)
            let identity = try tls.settings.identity(name: name, host: host, sqliteFile: storeURL.sqliteFile)
            var configuration = ServerConfiguration(host: host, port: port, nodeName: name, tls: identity)
            configuration.deadAfter = deadAfter.duration
            configuration.connectionLimits = connectionLimits.limits
            configuration.maxGroupMembers = maxGroupMembers
            configuration.uploadQuotaBytes = uploadQuotaMb << 20
            configuration.mailboxQuota = MailboxQuota(entries: mailboxQuotaMessages, bytes: mailboxQuotaMb << 20)
            configuration.idleTimeout = idleTimeout == 0 ? nil : .milliseconds(Int((idleTimeout * 1000).rounded()))
            configuration.drainTimeout = .milliseconds(Int((drainTimeout * 1000).rounded()))
            configuration.authLimits.perAddress = AuthRate(burst: authLimit, perMinute: authLimit)
            configuration.authLimits.perAccount = AuthRate(burst: authLimitPerAccount, perMinute: authLimitPerAccount)
            try await withStore(storeURL, logger: logger) { store in
                let node = try await ChatNode.bind(configuration: configuration, store: store, logger: logger)
                var services: [any Service] = [node]
                if let metricsEndpoint, let (registry, process) = exported {
                    services.append(
                        try await MetricsSetup.endpoint(
                            on: metricsEndpoint, registry: registry, process: process, logger: logger,
                            refresh: { await node.refreshMetrics() }, problem: { try await node.healthProblem() }))
                }
                try await runUntilSignalled(services, logger: logger)
            }
        } catch {
            throw fail(error)
        }
    }
}
