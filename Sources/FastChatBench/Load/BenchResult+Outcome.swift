extension RatePoint {
    public init(_ outcome: LoadOutcome) {
        self.init(
            offeredPerSecond: outcome.offeredPerSecond, deliveredPerSecond: outcome.deliveredPerSecond,
            latency: outcome.latency)
    }
}

extension BenchResult {
    /// The figures of one measured run, with the saturation search's steps when there was one.
    public init(
        _ outcome: LoadOutcome, strategy: String, servers: Int, plan: LoadGenerator.Plan,
        connectionsPerNode: [String: Int], targetRate: Double?, curve: [LoadOutcome]?
    ) {
        self.init(
            strategy: strategy,
            servers: servers,
            clients: plan.clients,
            groupSize: plan.groupSize,
            durationSeconds: outcome.durationSeconds,
            crypto: plan.crypto,
            targetRatePerSecond: targetRate,
            offeredPerSecond: outcome.offeredPerSecond,
            deliveredPerSecond: outcome.deliveredPerSecond,
            latency: outcome.latency,
            lost: outcome.lost,
            duplicates: outcome.duplicates,
            reordered: outcome.reordered,
            connectionsPerNode: connectionsPerNode,
            serverRSSMegabytes: outcome.serverPeakRSSBytes.mapValues { Double($0) / 1_048_576 },
            serverCPUSeconds: outcome.serverCPUSeconds,
            serverCPUMicrosecondsPerMessage: outcome.serverCPUMicrosecondsPerMessage,
            rateCurve: curve?.map(RatePoint.init),
            memberMessagesPerSecond: plan.groupSize > 0 ? outcome.deliveredPerSecond : nil
        )
        clientErrors = outcome.sendErrors + outcome.connectionsLost
        clientErrorsByCause = outcome.clientErrorsByCause
    }
}
