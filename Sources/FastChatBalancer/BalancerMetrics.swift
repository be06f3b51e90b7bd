import Metrics

/// What a balancer exports: its connections and where it placed clients. Made once when it starts.
struct BalancerMetrics: Sendable {
    let factory: any MetricsFactory
    let strategy: String
    let connections: Meter
    let connectionsAccepted: Counter
    let refusedServerFull: Counter
    let refusedAddressLimit: Counter
    /// Hellos answered "unavailable": no live node to place the client on.
    let placementFailures: Counter

    init(factory: any MetricsFactory, strategy: StrategyName) {
        self.factory = factory
        self.strategy = strategy.rawValue
        connections = Meter(label: "fastchat_connections", factory: factory)
        connectionsAccepted = Counter(label: "fastchat_connections_accepted_total", factory: factory)
        refusedServerFull = Counter(
            label: "fastchat_connections_refused_total", dimensions: [("cause", "server_full")], factory: factory)
        refusedAddressLimit = Counter(
            label: "fastchat_connections_refused_total", dimensions: [("cause", "address_limit")], factory: factory)
        placementFailures = Counter(
            label: "fastchat_placement_failures_total", dimensions: [("strategy", self.strategy)], factory: factory)
    }

    /// A client placed on `node`. The handler is looked up by its labels (the registry keeps one per node), since
    /// nodes come and go while the balancer runs; a placement is one per client connection, not per message.
    func placed(on node: String) {
        Counter(
            label: "fastchat_placements_total", dimensions: [("node", node), ("strategy", strategy)], factory: factory
        ).increment()
    }

    func refused(_ rateLimited: Bool) {
        (rateLimited ? refusedAddressLimit : refusedServerFull).increment()
    }
}
