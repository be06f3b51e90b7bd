import ArgumentParser
import FastChatProtocol

/// `--max-connections` and `--max-connections-per-address`, shared by the node and the balancer.
struct ConnectionLimitOptions: ParsableArguments {
    @Option(
        name: .customLong("max-connections"),
        help: "Connections served at once; beyond them a new one is told the server is full and closed.")
    var total = ConnectionLimits().total

    @Option(
        name: .customLong("max-connections-per-address"),
        help: "Connections served at once from one IP address; beyond them a new one is told so (rate-limited) and closed.")
    var perAddress = ConnectionLimits().perAddress

    func validate() throws {
        guard (1...10_000_000).contains(total), (1...10_000_000).contains(perAddress) else {
            throw ValidationError("--max-connections and --max-connections-per-address must be between 1 and 10000000.")
        }
    }

    var limits: ConnectionLimits { ConnectionLimits(total: total, perAddress: perAddress) }
}
