import ArgumentParser
import FastChatClient

/// `--metrics [HOST:]PORT` for the commands that start a whole cluster (`cluster`, `bench`): the balancer serves
/// /metrics and /health on PORT, node sN on PORT+N.
struct ClusterMetricsOption: ParsableArguments {
    @Option(
        name: .customLong("metrics"),
        help: ArgumentHelp(
            "Serve /metrics and /health: the balancer's on HOST:PORT (PORT alone: 127.0.0.1), node sN's on PORT+N.",
            valueName: "host:port"))
    var address: String?

    /// Nil when not asked for.
    var endpoint: Endpoint? {
        get throws {
            try address.map { try MetricsOptions.parse($0, allowingAnyPort: false) }
        }
    }

    /// The ports must fit, and not collide with the cluster's chat ports (`chatPort` for the balancer, then one per
    /// node).
    func validate(servers: Int, chatPort: Int) throws {
        guard let endpoint = try endpoint else { return }
        guard (1...(65535 - servers)).contains(endpoint.port) else {
            throw ValidationError("--metrics needs a port from 1 to \(65535 - servers) (the nodes take the ones after it).")
        }
        guard abs(endpoint.port - chatPort) > servers else {
            throw ValidationError("--metrics ports overlap the chat ports \(chatPort)–\(chatPort + servers).")
        }
    }

    /// `--metrics` for the process `offset` ports above the balancer's metrics port (0: the balancer, N: node sN).
    static func arguments(_ balancer: Endpoint?, offset: Int) -> [String] {
        balancer.map { ["--metrics", Endpoint(host: $0.host, port: $0.port + offset).description] } ?? []
    }
}
