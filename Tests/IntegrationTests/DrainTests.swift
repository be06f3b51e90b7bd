import Foundation
import Testing

/// Draining a node under a waiting client (issue 14, item 3): balancers skip the node at once, its client moves to
/// the other node without an error, nothing sent before, during or after is lost or shown twice, no command fails,
/// and the node stops by itself once its clients have left.
@Suite(.heavy, .timeLimit(.minutes(10))) struct DrainTests {
    enum Trigger: String, CaseIterable, Sendable {
        case command, sigterm
    }

    @Test(arguments: Trigger.allCases)
    func aDrainedNodesClientMovesWithoutLosingAMessage(_ trigger: Trigger) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let cluster = try await ProcessCluster.start(nodes: 2, in: scratch)
        defer { cluster.kill() }
        let (nodes, database) = (cluster.nodes, cluster.database)
        let users = try await cluster.signedUp(["alice", "bob"], in: scratch)
        let (alice, bob) = (users[0], users[1])
        let ready = await poll(until: .now + patience) { (try? await alice.send("warm-up", to: "bob"))?.exitCode == 0 }
        #expect(ready, "the balancer places clients")

        let receiving = try bob.start("receive", ["--wait", "3600", "--count", "8", "--json"])
        defer { receiving.signal(SIGKILL) }
        var bobsNode: ServerProcess?
        let placed = await poll(until: .now + patience) {
            bobsNode = nodes.first { !$0.logLines(containing: "Signed in", "bob").isEmpty }
            return bobsNode != nil
        }
        let drained = try #require(placed ? bobsNode : nil, "bob's receive signed in somewhere")
        let other = try #require(nodes.first { $0.name != drained.name })

        var sent: [String] = []
        for index in 0..<3 {
            let result = try await alice.send("before \(index)", to: "bob")
            #expect(result.exitCode == 0, "\(result)")
            sent.append(try #require(sentID(in: result)))
        }
        switch trigger {
        case .command:
            let result = try await FastChatCLI.run(
                ["drain", "--node", drained.name, "--database", database], in: scratch.url)
            #expect(result.exitCode == 0 && result.stdout.contains("draining \(drained.name)"), "\(result)")
        case .sigterm:
            drained.process.signal(SIGTERM)
        }
        for index in 0..<3 {
            let result = try await alice.send("during \(index)", to: "bob")
            #expect(result.exitCode == 0, "\(result)")
            sent.append(try #require(sentID(in: result)))
        }

        let stopped = try await drained.process.waitForExit()
        #expect(stopped.exitCode == 0, "the drained node stops by itself: \(stopped)")
        #expect(!drained.logLines(containing: "Drained: every client has moved").isEmpty, "\(drained.log)")
        #expect(!other.logLines(containing: "Signed in", "bob").isEmpty, "bob moved to \(other.name)")

        let after = try await alice.send("after", to: "bob")
        #expect(after.exitCode == 0, "\(after)")
        sent.append(try #require(sentID(in: after)))

        let received = try await receiving.waitForExit()
        #expect(received.exitCode == 0, "\(received)")
        #expect(!received.stderr.contains("closed"), "no error was shown: \(received.stderr)")
        let ids = try messages(in: received).filter { $0.text != "warm-up" }.map(\.id)
        #expect(ids == sent, "every message once, in order: \(received.stdout)")

        let unknown = try await FastChatCLI.run(["drain", "--node", "nowhere", "--database", database], in: scratch.url)
        #expect(unknown.exitCode == 16, "\(unknown)")
        expectOneSentence(unknown)
    }
}
