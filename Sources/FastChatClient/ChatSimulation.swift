import FastChatCrypto
import FastChatTLS
import Foundation
import Logging

/// Simulated people for `fastchat cluster --clients M`: they sign up, pair off for 1:1 chats, share one group, and
/// send a message every second or so, failing over like any client when their node goes away.
public actor ChatSimulation {
    public struct Snapshot: Sendable {
        public var deliveredPerSecond: Double
        /// Messages received per second by the clients on each node.
        public var deliveredPerSecondByNode: [String: Double]
        public var p50Milliseconds: Double?
        public var p99Milliseconds: Double?
    }

    private let options: ChatClient.Options
    private let count: Int
    private let prefix: String
    private var clients: [ChatClient] = []
    private var latencies: [Double] = []
    private var deliveredByNode: [String: Int] = [:]
    private var windowStart = ContinuousClock.now

    public init(endpoint: Endpoint, tls: ClientTLS?, home: URL, count: Int, logger: Logger) {
        options = ChatClient.Options(
            endpoint: endpoint, tls: tls, home: home, kdf: .fast, logger: logger, reconnects: true, reconnectTimeout: .seconds(3600))
        self.count = count
        prefix = "sim\(UInt16.random(in: 0...UInt16.max))"
    }

    private var group: String { "\(prefix)-room" }
    private let password = "simulated"

    /// Signs every simulated user up and in, and puts them all in one group.
    public func start() async throws {
        for index in 0..<count {
            let client = ChatClient(options: options)
            let name = "\(prefix)-\(index)"
            try await client.signUp(username: name, password: password)
            try await client.signIn(username: name, password: password)
            clients.append(client)
        }
        guard let first = clients.first else { return }
        try await first.createGroup(group, password: password)
        for client in clients.dropFirst() {
            try await client.joinGroup(group, password: password)
        }
    }

    /// Runs until cancelled: each user receives (acknowledging, recording latency) and sends to its partner every
    /// second and to the group every five.
    public func run() async {
        await withDiscardingTaskGroup { tasks in
            for (index, client) in clients.enumerated() {
                tasks.addTask { await self.receive(on: client) }
                let partner = clients.count > 1 ? "\(prefix)-\(index ^ 1 < clients.count ? index ^ 1 : 0)" : nil
                tasks.addTask { await self.chat(on: client, partner: partner, index: index) }
            }
        }
    }

    private func receive(on client: ChatClient) async {
        for await event in client.events {
            guard !Task.isCancelled else { return }
            switch event {
            case .message(let message):
                record(Date().timeIntervalSince(message.sentAt) * 1000, node: await client.nodeName)
                try? await client.acknowledge(message)
            case .notice(let notice):
                try? await client.acknowledge(notice)
            default:
                break
            }
        }
    }

    private func chat(on client: ChatClient, partner: String?, index: Int) async {
        var round = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(Int.random(in: 800...1200)))
            round += 1
            if let partner { _ = try? await client.send("hello #\(round) from \(index)", to: partner) }
            if round % 5 == index % 5 { _ = try? await client.send("round \(round) from \(index)", toGroup: group) }
        }
    }

    private func record(_ milliseconds: Double, node: String?) {
        latencies.append(max(0, milliseconds))
        deliveredByNode[node ?? "?", default: 0] += 1
    }

    /// Delivery rate and latency percentiles since the previous snapshot.
    public func snapshot() -> Snapshot {
        let elapsed = (ContinuousClock.now - windowStart)
        let seconds = max(0.001, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double? {
            sorted.isEmpty ? nil : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        let snapshot = Snapshot(
            deliveredPerSecond: Double(sorted.count) / seconds,
            deliveredPerSecondByNode: deliveredByNode.mapValues { Double($0) / seconds },
            p50Milliseconds: percentile(0.5),
            p99Milliseconds: percentile(0.99)
        )
        latencies = []
        deliveredByNode = [:]
        windowStart = .now
        return snapshot
    }

    public func stop() async {
        for client in clients { await client.signOut() }
    }
}
