import ArgumentParser
import FastChatClient

/// `--metrics HOST:PORT`, shared by `server`, `balancer` and `cluster`.
struct MetricsOptions: ParsableArguments {
    @Option(
        name: .customLong("metrics"),
        help: ArgumentHelp(
            "Serve /metrics (Prometheus) and /health over plain HTTP on HOST:PORT (port 0 picks a free one).",
            valueName: "host:port"))
    var address: String?

    func validate() throws {
        _ = try endpoint
    }

    /// Nil when not asked for.
    var endpoint: Endpoint? {
        get throws {
            guard let address else { return nil }
            // Port 0 (any free port) is allowed here, unlike a client's --connect.
            if address.hasSuffix(":0"), let parsed = try? Endpoint(parsing: address.dropLast() + "1") {
                return Endpoint(host: parsed.host, port: 0)
            }
            do {
                return try Endpoint(parsing: address)
            } catch {
                throw ValidationError("--metrics: \(error.message)")
            }
        }
    }
}
