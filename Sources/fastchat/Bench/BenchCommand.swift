import ArgumentParser
import FastChatBalancer
import FastChatBench
import FastChatClient
import FastChatProtocol
import FastChatTLS
import Foundation
import Logging

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure latency and throughput of a cluster under open-loop load.",
        discussion: """
            Starts N nodes and a balancer (or uses --connect), signs M simulated clients in through the balancer, \
            and sends at --rate messages/s (or searches for the saturation rate). Latency runs from each message's \
            scheduled send time to its arrival (HdrHistogram), so a stalled server cannot hide its delay.
            """
    )

    @Option(help: "Number of chat nodes to start.")
    var servers = 3

    @Option(help: "Number of simulated clients.")
    var clients = 1000

    @Option(help: "Balancer strategy, or all: \(StrategyName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var strategy = StrategyName.roundRobin.rawValue

    @Option(help: "Seconds measured, after a warm-up.")
    var duration = 10.0

    @Option(help: "Seconds of warm-up before each measurement.")
    var warmup = 2.0

    @Option(help: "Offered messages per second (open loop); omitted: search for the saturation rate.")
    var rate: Double?

    @Option(help: "Members per group; 0 sends one-to-one messages only.")
    var groupSize = 0

    @Option(help: "Store URL (default: a fresh sqlite file per run).")
    var database: String?

    @Option(help: "Use the cluster whose balancer is at HOST:PORT instead of starting one.")
    var connect: String?

    @Flag(help: "Seal and open every message for real (default: re-send pre-sealed envelopes).")
    var crypto = false

    @Option(help: "Open N idle signed-in connections to one node and report its memory per connection.")
    var idle: Int?

    @Option(help: "With --idle: keep the connections open this many seconds after measuring, to profile the node.")
    var hold = 0.0

    @Option(help: ArgumentHelp(
        "One node, N more users who stop reading once signed in, client i sending to reader i mod N, and a pair of users timing their own messages; the readers then read and must get every message once.",
        discussion: "Without --rate the clients offer \(Int(Self.slowReaderRate)) messages/s."))
    var slowReaders: Int?

    /// `--slow-readers` without `--rate`: a fixed load, since a saturation search would end with readers that read.
    static let slowReaderRate = 2000.0

    @Flag(help: ArgumentHelp(
        "Restart every node in turn during the measured window (SIGTERM: it drains and its clients move); the run must lose, duplicate and reorder nothing, with no client error.",
        discussion: "Without --rate the clients offer \(Int(Self.slowReaderRate)) messages/s."))
    var rollingRestart = false

    @Option(help: "Write the figures as JSON to this file.")
    var json: String?

    @Option(help: "Write an SVG chart of the figures to this file.")
    var plot: String?

    @Option(help: "Balancer port of the started cluster; the nodes listen on the ports after it.")
    var port = 7100

    @Option(help: "Event-loop threads of the load generator.")
    var threads = 1

    @Option(help: "Directory for the started clusters' stores and logs.")
    var data = "./fastchat-bench"

    @Option(help: "Log level of the started processes.")
    var logLevel: Logger.Level = .warning

    @Option(help: "on or off: TLS between the load generator and the cluster (off runs every process with --no-tls).")
    var tls = "on"

    @Option(name: .customLong("ca"), help: "With --connect and --tls on: the cluster CA certificate.")
    var caFile: String?

    /// To watch a run with Prometheus, or to measure what recording metrics costs (a run with and one without).
    @OptionGroup var metrics: ClusterMetricsOption

    var strategies: [StrategyName] {
        strategy == "all" ? StrategyName.allCases : StrategyName(rawValue: strategy).map { [$0] } ?? []
    }

    func validate() throws {
        guard !strategies.isEmpty else {
            throw ValidationError("--strategy must be all or one of \(StrategyName.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        guard (1...64).contains(servers) else { throw ValidationError("--servers must be between 1 and 64.") }
        guard clients >= 2 else { throw ValidationError("--clients must be at least 2.") }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be positive and --warmup not negative.") }
        guard (rate ?? 1) > 0 else { throw ValidationError("--rate must be positive.") }
        guard groupSize == 0 || (2...clients).contains(groupSize) else {
            throw ValidationError("--group-size must be 0 or between 2 and --clients.")
        }
        guard (idle ?? 2) >= 2 else { throw ValidationError("--idle needs at least 2 connections.") }
        guard hold == 0 || (idle != nil && hold > 0 && hold <= 86_400) else {
            throw ValidationError("--hold goes with --idle and is between 0 and 86400 seconds.")
        }
        guard (slowReaders ?? 1) >= 1 else { throw ValidationError("--slow-readers needs at least 1 reader.") }
        guard clients >= (slowReaders ?? 0) else {
            throw ValidationError("--slow-readers needs at least as many --clients to send to every reader.")
        }
        guard slowReaders == nil || groupSize == 0 else {
            throw ValidationError("--slow-readers sends one-to-one messages: --group-size must be 0.")
        }
        guard idle == nil || slowReaders == nil else { throw ValidationError("--idle and --slow-readers exclude each other.") }
        guard !rollingRestart || (idle == nil && slowReaders == nil && connect == nil && servers >= 2) else {
            throw ValidationError("--rolling-restart needs a started cluster of at least 2 --servers, without --idle, --slow-readers or --connect.")
        }
        guard (1...16).contains(threads) else { throw ValidationError("--threads must be between 1 and 16.") }
        guard tls == "on" || tls == "off" else { throw ValidationError("--tls must be on or off.") }
        guard connect == nil || tls == "off" || caFile != nil else {
            throw ValidationError("--connect with --tls on needs the cluster's CA certificate (--ca).")
        }
        guard connect == nil || metrics.address == nil else {
            throw ValidationError("--metrics is for the cluster the bench starts, not one it --connects to.")
        }
        try metrics.validate(servers: oneNode ? 1 : servers, chatPort: port)
    }

    func run() async throws {
        let logger = makeLogger(label: "fastchat.bench", level: .warning)
        do {
            var results: [BenchResult] = []
            for strategy in oneNode ? [.single] : strategies {
                results.append(try await measure(strategy, logger: logger))
            }
            Terminal.line(ResultTable.render(results) + ResultTable.clientErrors(results))
            if let json { try BenchResult.write(results, to: URL(fileURLWithPath: json)) }
            if let plot { try Data(SVGPlot.render(results).utf8).write(to: URL(fileURLWithPath: plot)) }
            let faults = results.reduce(UInt64(0)) { $0 + $1.lost + $1.duplicates + $1.reordered }
            if faults > 0 {
                throw ProtocolError(.internal, "Delivery was not exact: \(faults) messages lost, duplicated or reordered.")
            }
            let clientErrors = results.reduce(UInt64(0)) { $0 + ($1.clientErrors ?? 0) }
            if rollingRestart, clientErrors > 0 {
                let causes = results.reduce(into: [String: UInt64]()) {
                    $0.merge($1.clientErrorsByCause ?? [:], uniquingKeysWith: +)
                }
                throw ProtocolError(
                    .internal,
                    "The rolling restart was not invisible: \(clientErrors) client errors (\(ResultTable.causes(causes))).")
            }
        } catch {
            throw fail(error)
        }
    }

    private func measure(_ strategy: StrategyName, logger: Logger) async throws -> BenchResult {
        let cluster: BenchCluster
        if let connect {
            let trust = try caFile.map { try ClientTLS(trust: .authority(pemFile: $0)) }
            cluster = try await BenchCluster.connect(to: try Endpoint(parsing: connect), tls: tls == "on" ? trust : nil)
        } else {
            Terminal.line("\(strategy.rawValue): starting \(oneNode ? 1 : servers) nodes and a balancer…")
            cluster = try await BenchCluster.start(
                servers: oneNode ? 1 : servers, strategy: strategy, database: database,
                directory: URL(fileURLWithPath: data).appendingPathComponent(strategy.rawValue), port: port,
                logLevel: logLevel, tls: tls == "on", metrics: try metrics.endpoint)
        }
        defer { cluster.stop() }
        let plan = LoadGenerator.Plan(
            clients: idle ?? clients, groupSize: groupSize, crypto: crypto, threads: threads, slowReaders: slowReaders ?? 0)
        let generator = LoadGenerator(endpoint: cluster.endpoint, tls: cluster.tls, plan: plan, logger: logger)
        do {
            let result = try await measure(strategy, on: cluster, with: generator, plan: plan)
            await generator.close()
            var measured = result.with(tls: cluster.tls != nil)
            measured.metrics = connect == nil ? metrics.address != nil : nil
            return measured
        } catch {
            await generator.close()
            throw error
        }
    }

    private func measure(
        _ strategy: StrategyName, on cluster: BenchCluster, with generator: LoadGenerator, plan: LoadGenerator.Plan
    ) async throws -> BenchResult {
        let before = cluster.sampler()
        try await generator.prepare { signedIn in
            if signedIn % 100 == 0 || signedIn == plan.users { Progress.show("signed in \(signedIn)/\(plan.users)") }
        }
        Progress.end()
        let connections = await generator.connectionsPerNode

        if idle != nil {
            let after = cluster.sampler()
            let grown = after.reduce(0) { $0 + $1.value.rssBytes - (before[$1.key]?.rssBytes ?? 0) }
            var result = BenchResult(
                strategy: strategy.rawValue, servers: 1, clients: plan.clients, durationSeconds: 0,
                offeredPerSecond: 0, deliveredPerSecond: 0, latency: .zero, connectionsPerNode: connections,
                serverRSSMegabytes: after.mapValues { Double($0.peakRSSBytes) / 1_048_576 })
            result.rssKilobytesPerIdleConnection = Double(grown) / 1024 / Double(plan.clients)
            if hold > 0 {
                let perConnection = result.rssKilobytesPerIdleConnection ?? 0
                Terminal.line(String(format: "%.1f KB per idle connection; holding them %.0f s", perConnection, hold))
                try await Task.sleep(for: .seconds(hold))
            }
            return result
        }

        let window = Duration.seconds(duration)
        var result: BenchResult
        if let rate = rate ?? (slowReaders == nil && !rollingRestart ? nil : Self.slowReaderRate) {
            // The restarts begin with the measured window; the clients keep sending until they are done.
            let restarts: (@Sendable () async throws -> Void)? =
                rollingRestart ? { @Sendable in _ = try await cluster.restartNodesInTurn() } : nil
            let outcome = try await generator.run(
                rate: rate, warmup: .seconds(warmup), duration: window, sample: cluster.sampler, alongside: restarts,
                progress: Progress.show)
            result = BenchResult(
                outcome, strategy: strategy.rawValue, servers: cluster.servers, plan: plan,
                connectionsPerNode: connections, targetRate: rate, curve: nil)
            result.rollingRestarts = rollingRestart ? cluster.servers : nil
        } else {
            // Each group message makes a copy per other member: start the search at about 2,000 copies/s.
            let startRate = max(10, 2000 / Double(max(1, groupSize - 1)))
            let (saturated, curve) = try await generator.findSaturation(
                startRate: startRate, steps: 8, warmup: .seconds(1), duration: .seconds(min(duration, 3)),
                sample: cluster.sampler
            ) { rate, progress in Progress.show(progress, rate: rate) }
            // The headline figures come from a full-length run at the rate the search found.
            let best = saturated?.targetRate ?? startRate
            let outcome = try await generator.run(
                rate: best, warmup: .seconds(warmup), duration: window, sample: cluster.sampler, progress: Progress.show)
            result = BenchResult(
                outcome, strategy: strategy.rawValue, servers: cluster.servers, plan: plan,
                connectionsPerNode: connections, targetRate: nil, curve: curve)
        }
        Progress.end()
        result.slowReaders = slowReaders
        return result
    }

    /// `--idle` and `--slow-readers` measure one node's memory: one node, whatever --servers says.
    private var oneNode: Bool { idle != nil || slowReaders != nil }
}

/// The one line that shows how a run is going, rewritten in place.
enum Progress {
    static func show(_ text: String) {
        Terminal.write("\r\u{1B}[2K" + text)
    }

    static func show(_ progress: LoadProgress) {
        show(ResultTable.progressLine(
            elapsed: progress.elapsedSeconds, total: progress.totalSeconds, delivered: progress.delivered,
            ratePerSecond: progress.deliveredPerSecond, p50ms: progress.p50Milliseconds))
    }

    static func show(_ progress: LoadProgress, rate: Double) {
        show(String(format: "searching: offering %.0f/s  ", rate) + ResultTable.progressLine(
            elapsed: progress.elapsedSeconds, total: progress.totalSeconds, delivered: progress.delivered,
            ratePerSecond: progress.deliveredPerSecond, p50ms: progress.p50Milliseconds))
    }

    static func end() {
        Terminal.write("\n")
    }
}
