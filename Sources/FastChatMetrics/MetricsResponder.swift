import NIOHTTP1
import Prometheus

/// What the metrics endpoint answers to one request.
struct MetricsResponse: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]

    static func text(_ status: HTTPResponseStatus, _ line: String) -> MetricsResponse {
        MetricsResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array((line + "\n").utf8))
    }
}

/// Routes a request: `/metrics`, `/health`, or 404.
struct MetricsResponder: Sendable {
    /// The Prometheus text exposition format, version 0.0.4.
    static let exposition = "text/plain; version=0.0.4; charset=utf-8"

    let registry: PrometheusCollectorRegistry
    let refresh: MetricsEndpoint.Refresh
    let health: MetricsEndpoint.HealthCheck

    func respond(to request: HTTPRequestHead) async -> MetricsResponse {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        guard request.method == .GET else {
            return .text(.methodNotAllowed, "Only GET is served here.")
        }
        switch path {
        case "/metrics":
            await refresh()
            var body: [UInt8] = []
            registry.emit(into: &body)
            return MetricsResponse(status: .ok, contentType: Self.exposition, body: body)
        case "/health":
            switch await health() {
            case .healthy: return .text(.ok, "ok")
            case .unhealthy(let reason): return .text(.serviceUnavailable, reason.oneLine)
            }
        default:
            return .text(.notFound, "Not found: this port serves /metrics and /health.")
        }
    }
}
