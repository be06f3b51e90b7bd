/// One step of a saturation search: the rate offered and what came of it.
public struct RatePoint: Codable, Sendable, Equatable {
    public var offeredPerSecond: Double
    public var deliveredPerSecond: Double
    public var latency: LatencySummary

    public init(offeredPerSecond: Double, deliveredPerSecond: Double, latency: LatencySummary) {
        self.offeredPerSecond = offeredPerSecond
        self.deliveredPerSecond = deliveredPerSecond
        self.latency = latency
    }

    enum CodingKeys: String, CodingKey {
        case offeredPerSecond = "offered_per_s"
        case deliveredPerSecond = "delivered_per_s"
        case latency = "latency_ms"
    }
}

/// The outcome of one benchmark run (one strategy). The JSON keys are a contract with whatever reads `--json`.
public struct BenchResult: Codable, Sendable, Equatable {
    public var strategy: String
    public var servers: Int
    public var clients: Int
    public var groupSize: Int
    public var durationSeconds: Double
    public var crypto: Bool
    /// nil when the run searched for saturation instead of holding a rate.
    public var targetRatePerSecond: Double?
    public var offeredPerSecond: Double
    public var deliveredPerSecond: Double
    public var latency: LatencySummary
    public var lost: UInt64
    public var duplicates: UInt64
    public var reordered: UInt64
    public var connectionsPerNode: [String: Int]
    /// Peak resident set size per node, MB.
    public var serverRSSMegabytes: [String: Double]
    /// CPU seconds per node spent in the measured window.
    public var serverCPUSeconds: [String: Double]
    /// All nodes' CPU µs in the window divided by the messages delivered in it.
    public var serverCPUMicrosecondsPerMessage: Double
    /// The steps of a saturation search, if one ran.
    public var rateCurve: [RatePoint]?
    /// Group runs: member copies delivered per second (one group message is `group_size − 1` copies).
    public var memberMessagesPerSecond: Double?
    /// The `--idle N` mode: resident memory per idle connection, KB.
    public var rssKilobytesPerIdleConnection: Double?
    /// Whether clients spoke TLS to the nodes (absent in results from before TLS).
    public var tls: Bool?
    /// The highest peak resident set size of any node during the run, MB (absent in results from before it).
    public var peakRSSMegabytes: Double?
    /// The `--slow-readers N` mode: the number of readers that stopped reading (absent otherwise).
    public var slowReaders: Int?
    /// Errors a user would have seen: sends the cluster refused and connections lost without a `Move` (absent in
    /// results from before it).
    public var clientErrors: UInt64?
    /// `clientErrors` by cause (`ClientErrorCause` names: `refused_unavailable`, `no_answer`, `connection_lost`, …),
    /// present whenever `clientErrors` is; causes that did not occur are absent, so no errors is an empty object.
    public var clientErrorsByCause: [String: UInt64]?
    /// The `--rolling-restart` mode: how many nodes were restarted, in turn, during the measured window.
    public var rollingRestarts: Int?
    /// Whether the started nodes and balancer recorded and served metrics (`--metrics`; absent when the bench
    /// started no cluster, and in results from before it).
    public var metrics: Bool?

    public init(
        strategy: String,
        servers: Int,
        clients: Int,
        groupSize: Int = 0,
        durationSeconds: Double,
        crypto: Bool = false,
        targetRatePerSecond: Double? = nil,
        offeredPerSecond: Double,
        deliveredPerSecond: Double,
        latency: LatencySummary,
        lost: UInt64 = 0,
        duplicates: UInt64 = 0,
        reordered: UInt64 = 0,
        connectionsPerNode: [String: Int] = [:],
        serverRSSMegabytes: [String: Double] = [:],
        serverCPUSeconds: [String: Double] = [:],
        serverCPUMicrosecondsPerMessage: Double = 0,
        rateCurve: [RatePoint]? = nil,
        memberMessagesPerSecond: Double? = nil,
        rssKilobytesPerIdleConnection: Double? = nil
    ) {
        self.strategy = strategy
        self.servers = servers
        self.clients = clients
        self.groupSize = groupSize
        self.durationSeconds = durationSeconds
        self.crypto = crypto
        self.targetRatePerSecond = targetRatePerSecond
        self.offeredPerSecond = offeredPerSecond
        self.deliveredPerSecond = deliveredPerSecond
        self.latency = latency
        self.lost = lost
        self.duplicates = duplicates
        self.reordered = reordered
        self.connectionsPerNode = connectionsPerNode
        self.serverRSSMegabytes = serverRSSMegabytes
        self.serverCPUSeconds = serverCPUSeconds
        self.serverCPUMicrosecondsPerMessage = serverCPUMicrosecondsPerMessage
        self.rateCurve = rateCurve
        self.memberMessagesPerSecond = memberMessagesPerSecond
        self.rssKilobytesPerIdleConnection = rssKilobytesPerIdleConnection
        peakRSSMegabytes = serverRSSMegabytes.values.max()
    }

    enum CodingKeys: String, CodingKey {
        case strategy, servers, clients, crypto, lost, duplicates, reordered, tls
        case groupSize = "group_size"
        case durationSeconds = "duration_s"
        case targetRatePerSecond = "target_rate_per_s"
        case offeredPerSecond = "offered_per_s"
        case deliveredPerSecond = "delivered_per_s"
        case latency = "latency_ms"
        case connectionsPerNode = "connections_per_node"
        case serverRSSMegabytes = "server_rss_mb"
        case serverCPUSeconds = "server_cpu_s"
        case serverCPUMicrosecondsPerMessage = "server_cpu_us_per_msg"
        case rateCurve = "rate_curve"
        case memberMessagesPerSecond = "member_messages_per_s"
        case rssKilobytesPerIdleConnection = "rss_kb_per_idle_conn"
        case peakRSSMegabytes = "peak_rss_mb"
        case slowReaders = "slow_readers"
        case clientErrors = "client_errors"
        case clientErrorsByCause = "client_errors_by_cause"
        case rollingRestarts = "rolling_restarts"
        case metrics
    }

    public func with(tls: Bool) -> BenchResult {
        var result = self
        result.tls = tls
        return result
    }

    /// Peak RSS summed over the nodes, MB.
    public var totalServerRSSMegabytes: Double { serverRSSMegabytes.values.reduce(0, +) }
}
