@testable import FastChatBalancer
import FastChatClient
import FastChatProtocol
import FastChatStore
import FastChatTLS
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A real balancer on an ephemeral loopback port, reading the registry of a temporary SQLite store.
struct BalancerHarness {
    let balancer: Balancer
    let store: SQLiteStore
    /// The cluster CA the balancer's certificate comes from; clients trust it.
    let tls: TestTLS
    var clientTLS: ClientTLS { tls.clientTLS }
    var endpoint: Endpoint { Endpoint(host: "127.0.0.1", port: balancer.localAddress.port!) }

    /// Sends one frame on a fresh connection and returns the balancer's answer.
    func exchange(_ frame: Frame) async throws -> Frame {
        try await StatusQuery.exchange(
            frame, host: endpoint.host, port: endpoint.port, tls: clientTLS, timeout: .seconds(120))
    }

    func hello(version: UInt32 = Wire.protocolVersion) async throws -> Frame {
        var hello = Fastchat_V1_Hello()
        hello.protocolVersion = version
        hello.clientName = "balancer-tests"
        return try await exchange(Frame(requestID: 1, .hello(hello)))
    }

    /// Registers a node heard from just now.
    func register(
        _ name: String, address: String, connections: Int = 0, heartbeatAt: Date = Fixtures.now
    ) async throws {
        try await store.registerNode(
            NodeRecord(
                name: name, address: address, pid: 4242, connections: connections, startedAt: heartbeatAt,
                heartbeatAt: heartbeatAt))
    }
}

/// Runs `body` against a fresh balancer (strategy `strategy`, registry re-read every 50 ms) and stops it afterwards.
func withBalancer(
    _ strategy: StrategyName = .roundRobin,
    configure: (inout BalancerConfiguration) -> Void = { _ in },
    nodes: [(name: String, address: String)] = [],
    tls: TestTLS? = nil,
    _ body: (BalancerHarness) async throws -> Void
) async throws {
    let tlsDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("balancer-tls-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: tlsDirectory) }
    let tls = try tls ?? TestTLS(path: tlsDirectory.path)
    try await withStore { store in
        for node in nodes {
            try await store.registerNode(
                NodeRecord(
                    name: node.name, address: node.address, pid: 4242, connections: 0, startedAt: Fixtures.now,
                    heartbeatAt: Fixtures.now))
        }
        // Liveness is judged against the real clock; on a loaded machine a test may take several seconds, so the
        // nodes registered "now" must not die of old age mid-test. Dead nodes in these tests are hours old.
        var configuration = BalancerConfiguration(
            host: "127.0.0.1", port: 0, strategy: strategy, deadAfter: .seconds(600), refreshInterval: .milliseconds(50),
            // Only the test of this deadline (which sets its own) meets it on a busy machine.
            firstFrameTimeout: .seconds(180), tls: try tls.identity("balancer"))
        configure(&configuration)
        let balancer = try await Balancer.bind(configuration: configuration, store: store, logger: Fixtures.logger)
        try await whileRunning({ try await balancer.run() }) {
            try await body(BalancerHarness(balancer: balancer, store: store, tls: tls))
        }
    }
}

/// A stand-in chat node: answers Hello with a HelloReply naming it, and nothing else (over TLS, with a certificate
/// of the cluster CA `tls`).
struct FakeNode {
    let name: String
    let channel: NIOAsyncChannel<NIOAsyncChannel<Frame, Frame>, Never>
    var address: String { "127.0.0.1:\(channel.channel.localAddress!.port!)" }

    static func start(_ name: String, tls: TestTLS) async throws -> FakeNode {
        let context = try tls.identity(name).makeServerContext()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addFrameCodec()
                    return try NIOAsyncChannel<Frame, Frame>(wrappingChannelSynchronously: channel)
                }
            }
        return FakeNode(name: name, channel: channel)
    }

    /// Serves until cancelled.
    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await channel.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask {
                        try? await connection.executeThenClose { frames, outbound in
                            for try await frame in frames {
                                guard case .hello = frame.body else { continue }
                                var reply = Fastchat_V1_HelloReply()
                                reply.protocolVersion = Wire.protocolVersion
                                reply.nodeName = name
                                try await outbound.write(Frame(requestID: frame.requestID, .helloReply(reply)))
                            }
                        }
                    }
                }
            }
        }
    }
}
