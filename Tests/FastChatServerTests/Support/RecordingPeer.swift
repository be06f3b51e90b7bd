import FastChatProtocol
@testable import FastChatServer
import FastChatStore
import Foundation
import NIOCore
import NIOPosix
import Testing

enum PeerEvent: Equatable {
    case accepted
    case frame(Frame)
}

/// Runs `body` with the port of a listener that reads node links one at a time and reports what it accepts and
/// reads.
func withRecordingPeer(_ body: (Int, AsyncStream<PeerEvent>) async throws -> Void) async throws {
    let (events, report) = AsyncStream.makeStream(of: PeerEvent.self)
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addFrameCodec()
                return try NIOAsyncChannel<Frame, Frame>(wrappingChannelSynchronously: channel)
            }
        }
    let port = try #require(server.channel.localAddress?.port)
    try await withThrowingDiscardingTaskGroup { group in
        group.addTask {
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    report.yield(.accepted)
                    try? await connection.executeThenClose { frames, _ in
                        for try await frame in frames { report.yield(.frame(frame)) }
                    }
                }
            }
        }
        try await body(port, events)
        try await server.channel.close()
    }
}

/// Runs `body` with `services` linked to a recording peer, a live node named "peer", and what the peer reads; closes
/// the links after.
func withLinkedPeer(of services: NodeServices, _ body: (AsyncStream<PeerEvent>) async throws -> Void) async throws {
    try await withRecordingPeer { port, events in
        let peer = NodeRecord(
            name: "peer", address: "127.0.0.1:\(port)", pid: 1, connections: 1, startedAt: Date(), heartbeatAt: Date())
        await services.links.update(liveNodes: [peer])
        try await body(events)
        await services.links.closeAll()
    }
}
