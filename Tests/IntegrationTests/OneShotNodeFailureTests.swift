import FastChatBalancer
import Foundation
import Testing

/// A one-shot command right after a node died or froze: the balancer still counts the node alive (its heartbeat is
/// recent; here it never expires), so the command is sent there, finds it unreachable, tells the balancer, which
/// confirms it with a probe and places the command elsewhere. Every command succeeds, under every strategy.
@Suite(.heavy, .timeLimit(.minutes(10))) struct OneShotNodeFailureTests {
    @Test(arguments: StrategyName.allCases)
    func sendSucceedsRightAfterANodeIsKilledAndAnotherFrozen(_ strategy: StrategyName) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let cluster = try await ProcessCluster.start(nodes: 3, strategy: strategy, in: scratch)
        defer { cluster.kill() }
        let (nodes, balancer) = (cluster.nodes, cluster.balancer)
        let users = try await cluster.signedUp(["alice", "bob"], in: scratch)
        var (alice, bob) = (users[0], users[1])
        // From here on everything goes through the balancer, and a node has a few seconds to answer.
        alice.answerTimeout = "8"
        bob.answerTimeout = "8"
        let ready = await poll(until: .now + patience) { (try? await alice.send("warm-up", to: "bob"))?.exitCode == 0 }
        #expect(ready, "the balancer places clients")

        await nodes[0].kill9()
        for attempt in 0..<4 {
            let result = try await alice.send("after kill \(attempt)", to: "bob")
            #expect(result.exitCode == 0, "send \(attempt) after kill -9 of s1: \(result)")
        }
        nodes[1].process.signal(SIGSTOP)
        defer { nodes[1].process.signal(SIGCONT) }
        for attempt in 0..<4 {
            let result = try await alice.send("after stop \(attempt)", to: "bob")
            #expect(result.exitCode == 0, "send \(attempt) after SIGSTOP of s2: \(result)")
        }
        if strategy == .single {
            // Single always picks the first live node: both failures were met and confirmed by a probe.
            let log = try await balancer.waitForStderr(timeout: patience, "the probe of s2 failed") {
                $0.contains("Node s2 did not answer a probe")
            }
            #expect(log.contains("Node s1 did not answer a probe"))
        }
        let received = try await bob.receive(["--json"])
        #expect(received.exitCode == 0, "\(received)")
        let texts = received.stdout.split(separator: "\n").filter { $0.contains("\"after ") }
        #expect(texts.count == 8, "every message sent after a failure arrived once: \(received.stdout)")
    }
}
