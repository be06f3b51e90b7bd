import FastChatClient
import FastChatMetrics
import FastChatProtocol
import FastChatServer
import Foundation
import Prometheus
import Testing

/// `/metrics` and `/health` of a node, served as `fastchat server --metrics` serves them, on a registry of the
/// test's own (the process may run other nodes beside it).
@Suite struct MetricsTests {
    @Test func countersMoveAsAConversationRuns() async throws {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory.fastChat(registry: registry)
        try await withNode(configure: { $0.metricsFactory = factory }) { node in
            try await withMetricsEndpoint(of: node, registry: registry, processFactory: factory) { port in
                let before = try await scrape(port)
                #expect(before.value("fastchat_messages_accepted_total") == 0)
                #expect(before.value("fastchat_sign_ins_total", ["outcome": "succeeded"]) == 0)
                #expect(before.types["fastchat_commit_duration_seconds"] == "histogram")
                #expect((before.value("process_resident_memory_bytes") ?? 0) > 0)

                let alice = try await node.user("alice")
                let bob = try await node.user("bob")
                try await node.client(home: "carol").signUp(username: "carol", password: "carol's")
                let guessing = node.client(home: "mallory")
                #expect(try await code { try await guessing.signIn(username: "carol", password: "guess") } == .incorrectPassword)

                for text in ["one", "two", "three"] { _ = try await alice.send(text, to: "bob") }
                for _ in 0..<3 { _ = try await bob.nextMessage() }
                try await alice.createGroup("team", password: "team pw")
                try await bob.joinGroup("team", password: "team pw")
                _ = try await alice.send("to the team", toGroup: "team")

                // Counted before each reply leaves; deliveries as the push is handed to the connection.
                var after = before
                let moved = try await poll(until: .now + patience, every: .milliseconds(100)) {
                    after = try await scrape(port)
                    return (after.value("fastchat_messages_accepted_total") ?? 0) >= 4
                        && (after.value("fastchat_messages_delivered_total") ?? 0) >= 4
                        && (after.value("fastchat_messages_acknowledged_total") ?? 0) >= 3
                }
                #expect(moved, "accepted \(after.value("fastchat_messages_accepted_total") ?? -1)")
                #expect(after.value("fastchat_sign_ins_total", ["outcome": "succeeded"]) == 2)
                #expect(after.value("fastchat_sign_ins_total", ["outcome": "incorrect_password"]) == 1)
                #expect(after.value("fastchat_group_copies_total") == 1, "one copy: bob's (the sender gets none)")
                #expect((after.value("fastchat_commit_batch_size_count", ["writer": "mailbox"]) ?? 0) >= 1)
                #expect((after.value("fastchat_commit_duration_seconds_count", ["writer": "acks"]) ?? 0) >= 1)
                // At least the group message (the first ones may have come with bob's sign-in replay, which is not timed).
                #expect((after.value("fastchat_push_latency_seconds_count") ?? 0) >= 1)
                #expect((after.value("fastchat_connections_accepted_total") ?? 0) >= 4)
                #expect((after.value("fastchat_connections") ?? 0) >= 2, "alice and bob are still connected")
                #expect(after.value("fastchat_connections_refused_total", ["cause": "server_full"]) == 0)
                #expect(after.value("fastchat_store_errors_total") == 0)

                let health = try await httpGet(port: port, path: "/health")
                #expect(health.status == 200 && health.body == "ok\n")
                #expect(try await httpGet(port: port, path: "/elsewhere").status == 404)
                await alice.signOut()
                await bob.signOut()
            }
        }
    }
}

/// Serves `/metrics` and `/health` for `node` on a free loopback port while `body` runs.
func withMetricsEndpoint(
    of node: NodeHarness, registry: PrometheusCollectorRegistry, processFactory: PrometheusMetricsFactory,
    _ body: (Int) async throws -> Void
) async throws {
    let chatNode = node.chatNode
    let process = ProcessMetrics(factory: processFactory)
    let endpoint = try await MetricsEndpoint.bind(
        host: "127.0.0.1", port: 0, registry: registry, logger: NodeHarness.logger,
        refresh: {
            await process.sample()
            await chatNode.refreshMetrics()
        },
        health: { await Health.probe(within: .seconds(2)) { try await chatNode.healthProblem() } })
    try await whileRunning({ try await endpoint.run() }) {
        try await body(try #require(endpoint.localAddress.port))
    }
}

/// One scrape of `/metrics`, which must be well-formed Prometheus text.
func scrape(_ port: Int) async throws -> PrometheusText {
    let (status, body) = try await httpGet(port: port, path: "/metrics")
    #expect(status == 200)
    return try PrometheusText(body)
}
