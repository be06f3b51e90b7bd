@testable import FastChatBench

enum Fixtures {
    static func result(
        _ strategy: String, delivered: Double = 9_876.6, latency: LatencySummary? = nil, curve: [RatePoint]? = nil
    ) -> BenchResult {
        BenchResult(
            strategy: strategy, servers: 3, clients: 200, groupSize: 5, durationSeconds: 30, crypto: false,
            targetRatePerSecond: curve == nil ? 10_000 : nil, offeredPerSecond: 10_000, deliveredPerSecond: delivered,
            latency: latency ?? LatencySummary(p50: 1.25, p90: 3.5, p99: 12.76, p999: 48, max: 130.4),
            lost: 4, duplicates: 2, reordered: 7,
            connectionsPerNode: ["s1": 67, "s2": 66, "s3": 67],
            serverRSSMegabytes: ["s1": 40.5, "s2": 41, "s3": 39.5],
            serverCPUSeconds: ["s1": 5.5, "s2": 5.25, "s3": 6],
            serverCPUMicrosecondsPerMessage: 56.6,
            rateCurve: curve, memberMessagesPerSecond: 2_000, rssKilobytesPerIdleConnection: nil)
    }

    static let curve: [RatePoint] = [
        RatePoint(offeredPerSecond: 1_000, deliveredPerSecond: 1_000,
                  latency: LatencySummary(p50: 0.8, p90: 1.2, p99: 2, p999: 3, max: 4)),
        RatePoint(offeredPerSecond: 4_000, deliveredPerSecond: 3_990,
                  latency: LatencySummary(p50: 1.5, p90: 3, p99: 9, p999: 20, max: 25)),
        RatePoint(offeredPerSecond: 8_000, deliveredPerSecond: 6_100,
                  latency: LatencySummary(p50: 250, p90: 900, p99: 2_400, p999: 3_000, max: 3_100)),
    ]
}
