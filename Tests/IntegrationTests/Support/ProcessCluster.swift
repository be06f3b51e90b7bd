import FastChatBalancer
import Foundation

/// Node processes `s1`, `s2`, … and a balancer on one SQLite store, with heartbeats that never expire on their own
/// (a test decides which node is dead), and users signed up through the first node who then go through the balancer.
struct ProcessCluster {
    let database: String
    let nodes: [ServerProcess]
    let balancer: ChildProcess
    /// "127.0.0.1:PORT" of the balancer.
    let address: String

    static func start(nodes count: Int, strategy: StrategyName? = nil, in scratch: Scratch) async throws -> ProcessCluster {
        let database = "sqlite:" + scratch.file("fastchat.db")
        var nodes: [ServerProcess] = []
        for index in 1...count {
            nodes.append(
                try await ServerProcess.start(
                    database: database, name: "s\(index)", extraArguments: patientHeartbeats, in: scratch.url))
        }
        let port = try unusedLoopbackPort()
        let balancer = try FastChatCLI.start(
            ["balancer", "--port", "\(port)", "--database", database]
                + (strategy.map { ["--strategy", $0.rawValue] } ?? []) + patientHeartbeats + nodes[0].tls.serverArguments,
            in: scratch.url)
        return ProcessCluster(database: database, nodes: nodes, balancer: balancer, address: "127.0.0.1:\(port)")
    }

    /// Signs each user up (through the first node), then points them at the balancer.
    func signedUp(_ names: [String], in scratch: Scratch) async throws -> [CLIUser] {
        var users: [CLIUser] = []
        for name in names {
            var user = CLIUser(name, server: nodes[0], scratch: scratch)
            let result = try await user.signUp()
            guard result.exitCode == 0 else { throw ProcessTestError("signup of \(name) failed: \(result)") }
            user.connect = address
            users.append(user)
        }
        return users
    }

    func kill() {
        for node in nodes { node.process.signal(SIGKILL) }
        balancer.signal(SIGKILL)
    }
}
