import FastChatClient
import FastChatMetrics
import FastChatProtocol
import Foundation
@testable import FastChatServer
import NIOCore
import NIOPosix
import Prometheus
import Testing

/// What a connection can make a node hold stays bounded: looked-up accounts, requests in flight.
@Suite(.timeLimit(.minutes(10))) struct BoundedStateTests {
    @Test func theAccountCacheForgetsTheLeastRecentlyUsed() async throws {
        try await withNode { node in
            for name in ["u1", "u2", "u3", "u4", "u5", "u6"] { _ = try await node.user(name) }
            let cache = UserCache(store: node.store, capacity: 3)
            for name in ["u1", "u2", "u3"] { _ = try await cache.user(named: name) }
            _ = try await cache.user(named: "u1")  // used again: u2 is now the least recent
            for name in ["u4", "u5", "u6"] {
                #expect(try await cache.user(named: name)?.username == name)
                #expect(cache.count <= 3)
            }
            #expect(try await cache.user(named: "nobody") == nil)
            #expect(cache.count <= 3)
        }
    }

    /// Found by the FuzzNode fuzzer (its memory grew by about 2 kB an input): every connection a listener accepted
    /// stayed in memory, buffers and all, until the listener closed.
    @Test func aListenerForgetsTheConnectionsThatClosed() async throws {
        let served = ServedChannels()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try prepareAcceptedConnection(channel)
                    return channel
                }
            }
        let endpoint = Endpoint(host: "127.0.0.1", port: listener.channel.localAddress!.port!)
        let serving: @Sendable () async -> Void = {
            await serveConnections(of: listener) { connection in
                await served.add(connection.channel)
                try? await connection.executeThenClose { inbound, outbound in
                    for try await frame in inbound { try await outbound.write(frame) }
                }
            }
        }
        try await whileRunning(serving) {
            let count = 20
            for _ in 0..<count {
                let connection = try await RawConnection.open(endpoint, tls: nil)
                let (frames, _) = try await connection.exchange([try framed(Frame(requestID: 7, .getStatus(.init())))], stopAfter: 1)
                #expect(frames.first?.requestID == 7)
            }
            let freed = try await within(patience, "the closed connections are freed") {
                while await served.alive > 0 { try await Task.sleep(for: .milliseconds(10)) }
                return await served.count
            }
            #expect(freed == count)
        }
    }

    @Test func aFullRequestWindowMakesTheNextRequestWait() async throws {
        let window = RequestWindow(limit: 2)
        await window.acquire()
        await window.acquire()
        let third = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                await window.acquire()
                return true
            }
            let waiting: Bool
            do {
                waiting = try await within(patience, "the third request waits") {
                    while window.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
                    return true
                }
            } catch {
                // The third request may be waiting anyway: let it through, or the group would wait for it forever.
                window.release()
                throw error
            }
            #expect(waiting)
            window.release()
            return try await group.next()
        }
        #expect(third == true)
    }

    /// The duplicate check would otherwise keep a row per message forever (`StoreSweep`).
    @Test(arguments: Backend.all)
    func aRunningNodeForgetsIdsPastTheDuplicateCheckWindowAndKeepsTheMail(_ backend: Backend) async throws {
        let registry = PrometheusCollectorRegistry()
        try await withNode(on: backend, configure: {
            $0.duplicateCheckWindow = .zero
            $0.sweepInterval = .milliseconds(20)
            $0.duplicateCheckSweepInterval = .milliseconds(20)
            $0.metricsFactory = PrometheusMetricsFactory.fastChat(registry: registry)
        }) { node in
            let alice = try await node.user("alice")
            try await node.client(home: "bob").signUp(username: "bob", password: "pw")
            var ids: [UUID] = []
            for index in 0..<3 { ids.append(try await alice.send("note \(index)", to: "bob")) }
            let sent = ids

            @Sendable func swept() throws -> Double {
                var text: [UInt8] = []
                registry.emit(into: &text)
                return try PrometheusText(String(decoding: text, as: UTF8.self))
                    .value("fastchat_store_swept_total", ["what": "message_ids"]) ?? 0
            }
            let forgotten = try await within(patience, "the sweep forgets every accepted id") {
                while try swept() < Double(sent.count) { try await Task.sleep(for: .milliseconds(20)) }
                return try swept()
            }
            #expect(forgotten == Double(sent.count))
            #expect(try await node.database.count("SELECT COUNT(*) FROM accepted_messages") == 0)
            let bob = node.client(home: "bob")
            try await bob.signIn(username: "bob", password: "pw")
            #expect(try await bob.pendingMessages().map(\.id) == sent, "the mail itself stays until it is read")
        }
    }
}

/// Weak references to the connections a listener served: the listener must not keep them once they closed.
private actor ServedChannels {
    private var channels: [Weak] = []

    private struct Weak {
        weak var channel: (any Channel)?
    }

    func add(_ channel: any Channel) {
        channels.append(Weak(channel: channel))
    }

    var count: Int { channels.count }
    var alive: Int { channels.filter { $0.channel != nil }.count }
}
