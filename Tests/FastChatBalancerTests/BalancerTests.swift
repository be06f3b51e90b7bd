@testable import FastChatBalancer
import FastChatClient
import FastChatProtocol
import FastChatTLS
import FastChatStore
import Foundation
import NIOCore
import NIOPosix
import Testing

/// A real balancer on a loopback port: one answer per connection, from the registry in the store.
@Suite(.timeLimit(.minutes(10))) struct BalancerTests {
    static let threeNodes = [
        (name: "s1", address: "127.0.0.1:7101"), (name: "s2", address: "127.0.0.1:7102"),
        (name: "s3", address: "127.0.0.1:7103"),
    ]

    @Test func helloIsRedirectedToThePickedNode() async throws {
        try await withBalancer(.roundRobin, nodes: Self.threeNodes) { balancer in
            var redirects: [Fastchat_V1_Redirect] = []
            for _ in 0..<6 {
                let reply = try await balancer.hello()
                #expect(reply.requestID == 1)
                guard case .redirect(let redirect) = reply.body else {
                    Issue.record("expected a redirect, got \(reply)")
                    return
                }
                redirects.append(redirect)
            }
            #expect(redirects.map(\.nodeName) == ["s1", "s2", "s3", "s1", "s2", "s3"])
            #expect(redirects.map(\.address) == (Self.threeNodes + Self.threeNodes).map(\.address))
        }
    }

    /// The client library follows the redirect and ends up talking to the node.
    @Test func clientFollowsTheRedirect() async throws {
        let tlsDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-tls-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tlsDirectory) }
        let tls = try TestTLS(path: tlsDirectory.path)
        let nodes = [try await FakeNode.start("s1", tls: tls), try await FakeNode.start("s2", tls: tls)]
        let serving: @Sendable () async throws -> Void = {
            try await withThrowingDiscardingTaskGroup { group in
                for node in nodes { group.addTask { try await node.run() } }
            }
        }
        try await whileRunning(serving) {
            try await withBalancer(
                .block, configure: { $0.blockSize = 2 }, nodes: nodes.map { ($0.name, $0.address) }, tls: tls
            ) { balancer in
                var names: [String] = []
                for _ in 0..<4 {
                    let (connection, reply) = try await FrameConnection.open(to: balancer.endpoint, tls: balancer.clientTLS)
                    names.append(reply.nodeName)
                    await connection.close()
                }
                #expect(names == ["s1", "s1", "s2", "s2"])
            }
        }
    }

    /// The node a balancer redirects to must present a certificate of the CA the balancer was verified with.
    @Test func aRedirectToANodeOfAnotherCAIsRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redirect-tls-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let stranger = try await FakeNode.start("s1", tls: try TestTLS(path: directory.path))
        try await whileRunning({ try await stranger.run() }) {
            try await withBalancer(.single, nodes: [(stranger.name, stranger.address)]) { balancer in
                let error = await #expect(throws: ServerNotTrusted.self) {
                    try await FrameConnection.open(to: balancer.endpoint, tls: balancer.clientTLS)
                }
                #expect(error?.description.contains(stranger.address) == true, "\(String(describing: error))")
            }
        }
    }

    @Test func noLiveNodeIsUnavailable() async throws {
        let stale = Fixtures.now.addingTimeInterval(-7200)
        try await withBalancer(.leastConnections) { balancer in
            try await balancer.register("s1", address: "127.0.0.1:7101", heartbeatAt: stale)
            try await balancer.balancer.table.refresh()
            let reply = try await balancer.hello()
            #expect(reply.requestID == 1)
            #expect(reply.body == .error(.with { $0.code = .unavailable; $0.message = "No chat node is available." }))

            // What the client reports (exit code 3 in the CLI).
            let error = await #expect(throws: ProtocolError.self) {
                try await FrameConnection.open(to: balancer.endpoint, tls: balancer.clientTLS)
            }
            #expect(error == ProtocolError(.unavailable, "No chat node is available."))
        }
    }

    /// Registered after the balancer started: the next refresh makes it a target.
    @Test func aNodeThatRegistersLaterGetsClients() async throws {
        try await withBalancer(.roundRobin) { balancer in
            #expect(try await balancer.hello().body?.isError(.unavailable) == true)
            try await balancer.register("s1", address: "127.0.0.1:7101")
            // Only a bound on a hang: the refresh runs every 50 ms, but a loaded machine can be far slower.
            let deadline = ContinuousClock.now + .seconds(180)
            var reply = try await balancer.hello()
            while case .error = reply.body, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                reply = try await balancer.hello()
            }
            guard case .redirect(let redirect) = reply.body else {
                Issue.record("expected a redirect, got \(reply)")
                return
            }
            #expect(redirect.nodeName == "s1" && redirect.address == "127.0.0.1:7101")
        }
    }

    @Test func statusListsEveryNodeWithItsHealth() async throws {
        try await withBalancer(.powerOfTwo) { balancer in
            try await balancer.register("s2", address: "127.0.0.1:7102", connections: 3)
            try await balancer.register("s1", address: "127.0.0.1:7101", connections: 1)
            let stale = Fixtures.now.addingTimeInterval(-7200)
            try await balancer.register("s3", address: "127.0.0.1:7103", heartbeatAt: stale)
            try await balancer.balancer.table.refresh()

            let status = try await StatusQuery.fetch(host: balancer.endpoint.host, port: balancer.endpoint.port, tls: balancer.clientTLS)
            #expect(status.strategy == "power-of-two")
            #expect(status.nodes.map(\.name) == ["s1", "s2", "s3"])
            #expect(status.nodes.map(\.address) == ["127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103"])
            #expect(status.nodes.map(\.alive) == [true, true, false])
            #expect(status.nodes.map(\.connections) == [1, 3, 0])
            #expect(status.nodes.allSatisfy { $0.pid == 4242 })

            for _ in 0..<5 {
                guard case .redirect(let redirect) = try await balancer.hello().body else {
                    Issue.record("expected a redirect")
                    return
                }
                #expect(redirect.nodeName != "s3", "the dead node is listed but never chosen")
            }
        }
    }

    @Test func statusOfAnEmptyCluster() async throws {
        try await withBalancer(.single) { balancer in
            let status = try await StatusQuery.fetch(host: balancer.endpoint.host, port: balancer.endpoint.port, tls: balancer.clientTLS)
            #expect(status.strategy == "single")
            #expect(status.nodes.isEmpty)
        }
    }

    @Test func unsupportedVersionIsRefused() async throws {
        try await withBalancer(nodes: Self.threeNodes) { balancer in
            let reply = try await balancer.hello(version: 99)
            #expect(reply.body?.isError(.unsupportedVersion) == true)
        }
    }

    @Test func anyOtherFirstFrameIsABadRequest() async throws {
        try await withBalancer(nodes: Self.threeNodes) { balancer in
            let reply = try await balancer.exchange(Frame(requestID: 7, .signOut(.init())))
            #expect(reply.requestID == 7)
            #expect(reply.body?.isError(.badRequest) == true)
        }
    }

    /// A frame that does not parse is refused by the codec: an error frame, then the connection closes.
    @Test func garbageIsRefused() async throws {
        try await withBalancer(nodes: Self.threeNodes) { balancer in
            let (frames, closed) = try await rawExchange(balancer.endpoint, tls: balancer.clientTLS, bytes: [0, 0, 0, 3, 0xFF, 0xFF, 0xFF])
            #expect(closed)
            #expect(frames.map { $0.body?.isError(.badRequest) } == [true])
        }
    }

    /// A client that connects and says nothing is not kept forever.
    /// Without the first-frame timeout the exchange would never end; the time limit turns that into a failure
    /// instead of asserting a wall-clock duration, which a busy machine could exceed.
    @Test func silentConnectionIsClosed() async throws {
        try await withBalancer(configure: { $0.firstFrameTimeout = .milliseconds(200) }) { balancer in
            // Silent from the start: the deadline counts from the accept, so a handshake never begun ends too.
            let (frames, closed) = try await rawExchange(balancer.endpoint, tls: nil, bytes: [])
            #expect(closed && frames.isEmpty)
        }
    }

    @Test func statusOfAnUnreachableBalancer() async throws {
        // Bind and close to find a port nobody listens on.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress!.port!
        try await probe.close()
        let error = await #expect(throws: ProtocolError.self) {
            // Refused before any TLS is spoken.
            try await StatusQuery.fetch(host: "127.0.0.1", port: port, tls: nil)
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message == "Cannot reach the balancer at 127.0.0.1:\(port) (connection refused).")
    }

    /// Graceful shutdown: `run` returns once the service group is told to stop.
    @Test func stopsOnCancellation() async throws {
        try await withStore { store in
            let balancer = try await Balancer.bind(
                configuration: .init(host: "127.0.0.1", port: 0, tls: nil), store: store, logger: Fixtures.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await balancer.run() }
                // Cancelled once it serves (any answer says it does), not before `run` has begun.
                _ = try? await StatusQuery.fetch(
                    host: "127.0.0.1", port: balancer.localAddress.port!, tls: nil, timeout: .seconds(120))
                group.cancelAll()
                try await group.waitForAll()
            }
            let error = await #expect(throws: ProtocolError.self) {
                try await StatusQuery.fetch(host: "127.0.0.1", port: balancer.localAddress.port!, tls: nil)
            }
            #expect(error?.code == .unavailable)
        }
    }
}

extension Frame.OneOf_Body {
    func isError(_ code: ErrorCode) -> Bool {
        if case .error(let error) = self { error.code == code } else { false }
    }
}

/// Writes `bytes` as they are, then collects what the server sends until it closes the connection.
/// `tls` nil: plain TCP, not even a TLS handshake.
func rawExchange(_ endpoint: Endpoint, tls: ClientTLS?, bytes: [UInt8]) async throws -> (frames: [Frame], closed: Bool) {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: endpoint.host, port: endpoint.port) { channel in
            channel.eventLoop.makeCompletedFuture {
                _ = try tls?.addHandler(to: channel, host: endpoint.host, port: endpoint.port)
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        if !bytes.isEmpty { try await outbound.write(ByteBuffer(bytes: bytes)) }
        var received = ByteBuffer()
        var frames: [Frame] = []
        for try await var buffer in inbound {
            received.writeBuffer(&buffer)
            while let length = received.getInteger(at: received.readerIndex, as: UInt32.self),
                received.readableBytes >= 4 + Int(length)
            {
                received.moveReaderIndex(forwardBy: 4)
                frames.append(try Frame(serializedBytes: received.readBytes(length: Int(length))!))
            }
        }
        return (frames, true)
    }
}
