import FastChatProtocol
import FastChatTLS
import Logging

/// Checks the nodes clients report unreachable before their heartbeat says so (killed, frozen, cut off): one that
/// does not answer a Hello within `timeout` either is sent no more clients until its heartbeat moves on. A client's
/// word alone never takes a node out, so no client can steer others away from a healthy node.
actor NodeProbe {
    private let table: NodeTable
    private let tls: ClientTLS?
    private let timeout: Duration
    private let logger: Logger
    /// When each node was last probed: reports about it within a second reuse that verdict.
    private var probedAt: [String: ContinuousClock.Instant] = [:]

    init(table: NodeTable, tls: ClientTLS?, timeout: Duration, logger: Logger) {
        self.table = table
        self.tls = tls
        self.timeout = timeout
        self.logger = logger
    }

    /// Probes (at most a few of) the nodes one client reported; a long list costs no more than a short one.
    func check(reported names: [String]) async {
        for name in Set(names.prefix(8)).sorted().prefix(4) {
            await check(name)
        }
    }

    private func check(_ name: String) async {
        if let last = probedAt[name], last.duration(to: .now) < .seconds(1) { return }
        // Only live registered nodes: a made-up name costs nothing and grows nothing.
        guard let node = await table.liveNode(named: name), let colon = node.address.lastIndex(of: ":"),
            let port = Int(node.address[node.address.index(after: colon)...])
        else { return }
        var host = String(node.address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        probedAt[name] = .now
        // Version 1: every node answers it, one from before version 2 too.
        let hello = Frame(requestID: 1, .hello(.with { $0.protocolVersion = Wire.supportedVersions.lowerBound; $0.clientName = "balancer-probe" }))
        let answer = try? await StatusQuery.exchange(hello, host: host, port: port, tls: tls, timeout: timeout)
        probedAt[name] = .now
        if case .helloReply = answer?.body { return }
        await table.markDown(name)
        logger.warning("Node \(name) did not answer a probe after a client's report; no clients go there until its next heartbeat")
    }
}
