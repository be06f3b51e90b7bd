import ArgumentParser
import FastChatClient

/// `--metrics [HOST:]PORT`, shared by `server`, `balancer` and `cluster`.
struct MetricsOptions: ParsableArguments {
    @Option(
        name: .customLong("metrics"),
        help: ArgumentHelp(
            "Serve /metrics (Prometheus) and /health over plain HTTP on HOST:PORT (PORT alone: 127.0.0.1; port 0 picks a free one).",
            valueName: "host:port"))
    var address: String?

    func validate() throws {
        _ = try endpoint
    }

    /// Nil when not asked for.
    var endpoint: Endpoint? {
        get throws {
            try address.map { try Self.parse($0, allowingAnyPort: true) }
        }
    }

    /// "HOST:PORT", or a bare PORT on loopback: metrics are for the operator's own scraper, not the world.
    static func parse(_ text: String, allowingAnyPort: Bool) throws -> Endpoint {
        let full = text.allSatisfy(\.isNumber) ? "127.0.0.1:" + text : text
        // Port 0 (any free port) is allowed for one process, unlike a client's --connect.
        if allowingAnyPort, full.hasSuffix(":0"), let parsed = try? Endpoint(parsing: full.dropLast() + "1") {
            return Endpoint(host: parsed.host, port: 0)
        }
        do {
            return try Endpoint(parsing: full)
        } catch {
            throw ValidationError("--metrics: \(error.message)")
        }
    }
}
