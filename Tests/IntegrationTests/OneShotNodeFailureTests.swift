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
        let database = "sqlite:" + scratch.file("fastchat.db")
        var nodes: [ServerProcess] = []
        defer { for node in nodes { node.process.signal(SIGKILL) } }
        for index in 1...3 {
            nodes.append(
                try await ServerProcess.start(
                    database: database, name: "s\(index)", extraArguments: patientHeartbeats, in: scratch.url))
        }
        let port = try unusedLoopbackPort()
        let balancer = try FastChatCLI.start(
            ["balancer", "--port", "\(port)", "--strategy", strategy.rawValue, "--database", database]
                + patientHeartbeats + nodes[0].tls.serverArguments,
            in: scratch.url)
        defer { balancer.signal(SIGKILL) }
        var alice = CLIUser("alice", server: nodes[0], scratch: scratch)
        var bob = CLIUser("bob", server: nodes[0], scratch: scratch)
        for user in [alice, bob] {
            let result = try await user.signUp()
            #expect(result.exitCode == 0, "\(result)")
        }
        // From here on everything goes through the balancer, and a node has a few seconds to answer.
        alice.connect = "127.0.0.1:\(port)"
        bob.connect = alice.connect
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
