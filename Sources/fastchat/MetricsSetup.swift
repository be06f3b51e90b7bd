import FastChatClient
import FastChatMetrics
import Logging
import Metrics
import Prometheus

/// The process's metrics: bootstrapped once, and only when `--metrics` is given — without it every metric stays
/// swift-metrics' no-op and costs nothing.
enum MetricsSetup {
    /// Bootstraps `MetricsSystem` with a Prometheus registry and returns the registry and the process gauges.
    static func bootstrap() -> (PrometheusCollectorRegistry, ProcessMetrics) {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory.fastChat(registry: registry)
        MetricsSystem.bootstrap(factory)
        return (registry, ProcessMetrics(factory: factory))
    }

    /// The endpoint for `registry` on `endpoint`; `problem` is the process's own health check (nil: healthy),
    /// given 2 s to answer.
    static func endpoint(
        on endpoint: Endpoint, registry: PrometheusCollectorRegistry, process: ProcessMetrics, logger: Logger,
        refresh: @escaping @Sendable () async -> Void = {},
        problem: @escaping @Sendable () async throws -> String?
    ) async throws -> MetricsEndpoint {
        try await MetricsEndpoint.bind(
            host: endpoint.host, port: endpoint.port, registry: registry, logger: logger,
            refresh: {
                await process.sample()
                await refresh()
            },
            health: { await Health.probe(within: .seconds(2), problem) })
    }
}
