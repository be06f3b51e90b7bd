import FastChatMetrics
import Prometheus
import Testing

/// `/health` answers 503 with a reason while the node's PostgreSQL is stopped, and 200 again once it is back. On a
/// server of the test's own, since stopping the shared one would fail the tests running beside it.
@Suite(
    .enabled(
        if: OwnPostgresServer.pgCtl != nil,
        "FASTCHAT_TEST_PG_CTL is not set: run scripts/test.sh, or scripts/with-postgres.sh swift test"),
    .heavy, .serialized, .timeLimit(.minutes(10)))
struct HealthTests {
    @Test func healthIs503WhileTheStoreIsUnreachable() async throws {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory.fastChat(registry: registry)
        try await OwnPostgresServer.withNode(configure: { $0.metricsFactory = factory }) { server, node in
            try await withMetricsEndpoint(of: node, registry: registry, processFactory: factory) { port in
                try await checkHealth(port, server: server)
            }
        }
    }

    private func checkHealth(_ port: Int, server: OwnPostgresServer) async throws {
        #expect(try await httpGet(port: port, path: "/health") == (200, "ok\n"))

        try await server.stop()
        var answer = (status: 0, body: "")
        let unhealthy = try await poll(until: .now + patience, every: .milliseconds(250)) {
            answer = try await httpGet(port: port, path: "/health")
            return answer.status == 503
        }
        #expect(unhealthy, "still \(answer.status) \(answer.body)")
        #expect(answer.body.hasSuffix("\n") && answer.body.dropLast().split(separator: "\n").count == 1)
        #expect(answer.body.count > 5, "a reason, not just a status")
        // Metrics are still served: they say how the node is doing while it cannot store anything.
        #expect(try await httpGet(port: port, path: "/metrics").status == 200)

        try await server.start()
        let healthy = try await poll(until: .now + patience, every: .milliseconds(250)) {
            answer = try await httpGet(port: port, path: "/health")
            return answer.status == 200
        }
        #expect(healthy, "the node is healthy again once PostgreSQL is back (\(answer.status) \(answer.body))")
    }
}
