import FastChatProtocol
import FastChatTLS
import Foundation
import Metrics

/// The placement strategies (DESIGN §9). The raw values are contract names: the CLI, scripts and `ClusterStatus`
/// use them.
public enum StrategyName: String, CaseIterable, Sendable, Hashable {
    case single
    case roundRobin = "round-robin"
    case block
    case random
    case leastConnections = "least-connections"
    case powerOfTwo = "power-of-two"
}

public struct BalancerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var strategy: StrategyName
    /// Consecutive clients sent to one node by the `block` strategy.
    public var blockSize: Int
    /// A node whose last heartbeat is older than this is dead and gets no clients.
    public var deadAfter: Duration
    /// How often the node table is read from the store.
    public var refreshInterval: Duration
    /// How long a connection may stay silent before its first frame; then it is closed.
    public var firstFrameTimeout: Duration
    /// The certificate served to clients; nil serves plaintext (`--no-tls`).
    public var tls: TLSIdentity?
    /// Connections served at once, and from one address (clients stay only for their Hello).
    public var connectionLimits: ConnectionLimits
    /// How long a node a client reported unreachable has to answer the balancer's own Hello.
    public var probeTimeout: Duration
    /// Where the balancer's metrics go; nil: the process's `MetricsSystem`.
    public var metricsFactory: (any MetricsFactory)?

    public init(
        host: String = "127.0.0.1",
        port: Int = 7000,
        strategy: StrategyName = .leastConnections,
        blockSize: Int = 3,
        deadAfter: Duration = .seconds(3),
        refreshInterval: Duration = .milliseconds(250),
        firstFrameTimeout: Duration = .seconds(10),
        tls: TLSIdentity?,
        probeTimeout: Duration = .seconds(2),
        connectionLimits: ConnectionLimits = ConnectionLimits()
    ) {
        self.host = host
        self.port = port
        self.strategy = strategy
        self.blockSize = blockSize
        self.deadAfter = deadAfter
        self.refreshInterval = refreshInterval
        self.firstFrameTimeout = firstFrameTimeout
        self.tls = tls
        self.probeTimeout = probeTimeout
        self.connectionLimits = connectionLimits
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
