import FastChatClient
import Foundation
import Testing

/// `fastchat server --metrics` and `fastchat balancer --metrics` as an operator runs them, and `fastchat status`
/// showing each node's messages per second and pending entries from the same counts.
@Suite(.heavy, .serialized, .timeLimit(.minutes(10))) struct MetricsProcessTests {
    @Test func processesServeMetricsAndStatusShowsTheirLoad() async throws {
        let scratch = try Scratch("fastchat-metrics")
        defer { scratch.remove() }
        let database = "sqlite:" + scratch.file("fc.db")
        let nodeMetrics = try unusedLoopbackPort()
        let node = try await ServerProcess.start(
            database: database, extraArguments: patientHeartbeats + ["--metrics", "127.0.0.1:\(nodeMetrics)"],
            in: scratch.url)
        defer { node.process.signal(SIGKILL) }
        let port = try unusedLoopbackPort()
        let balancerMetrics = try unusedLoopbackPort()
        let balancer = try FastChatCLI.start(
            ["balancer", "--port", "\(port)", "--database", database, "--metrics", "127.0.0.1:\(balancerMetrics)"]
                + patientHeartbeats + node.tls.serverArguments,
            in: scratch.url)
        defer { balancer.signal(SIGKILL) }
        _ = try await balancer.waitForStderr(timeout: patience, "the balancer serves metrics") { $0.contains("Metrics on") }

        let endpoint = Endpoint(host: "127.0.0.1", port: port)
        func user(_ name: String) async throws -> ChatClient {
            let client = ChatClient(
                options: .init(
                    endpoint: endpoint, tls: node.tls.clientTLS, home: scratch.url.appendingPathComponent("homes/\(name)"),
                    kdf: .fast, answerTimeout: patience))
            try await client.signUp(username: name, password: "pw")
            try await client.signIn(username: name, password: "pw")
            return client
        }
        let alice = try await user("alice")
        let bob = try await user("bob")
        for index in 1...3 { _ = try await alice.send("message \(index)", to: "bob") }
        // Bob reads them but does not acknowledge yet: they are pending on his node.
        var received: [ReceivedMessage] = []
        for _ in 1...3 {
            received.append(try await bob.next { event -> ReceivedMessage? in
                if case .message(let message) = event { return message }
                return nil
            })
        }

        var status: [String: Any] = [:]
        let reported = try await poll(until: .now + patience, every: .milliseconds(200)) {
            status = try await nodeStatus(endpoint: endpoint, caFile: node.tls.caFile)
            return (status["messages_per_second"] as? Double ?? 0) > 0 && status["mailbox_pending"] as? Int == 3
        }
        #expect(reported, "\(status)")
        for message in received { try await bob.acknowledge(message) }
        let acknowledged = try await poll(until: .now + patience, every: .milliseconds(200)) {
            status = try await nodeStatus(endpoint: endpoint, caFile: node.tls.caFile)
            return status["mailbox_pending"] as? Int == 0
        }
        #expect(acknowledged, "\(status)")

        let scraped = try await scrape(nodeMetrics)
        #expect(scraped.value("fastchat_messages_accepted_total") == 3)
        #expect(scraped.value("fastchat_messages_acknowledged_total") == 3)
        #expect(scraped.value("fastchat_sign_ins_total", ["outcome": "succeeded"]) == 2)
        #expect((scraped.value("process_cpu_seconds_total") ?? 0) > 0)
        #expect((scraped.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect(try await httpGet(port: nodeMetrics, path: "/health") == (200, "ok\n"))

        let balancerScrape = try await scrape(balancerMetrics)
        #expect(balancerScrape.value("fastchat_placements_total", ["node": "s1", "strategy": "least-connections"]) == 2)
        #expect(try await httpGet(port: balancerMetrics, path: "/health") == (200, "ok\n"))

        await alice.signOut()
        await bob.signOut()
        #expect(try await node.stop().exitCode == 0)
        balancer.signal(SIGTERM)
        #expect(try await balancer.waitForExit().exitCode == 0)
    }

    /// The one node's entry in `fastchat status --json`.
    private func nodeStatus(endpoint: Endpoint, caFile: String) async throws -> [String: Any] {
        let result = try await FastChatCLI.run(
            ["status", "--json", "--connect", "\(endpoint)", "--ca", caFile], in: FileManager.default.temporaryDirectory)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (object?["nodes"] as? [[String: Any]])?.first ?? [:]
    }
}
