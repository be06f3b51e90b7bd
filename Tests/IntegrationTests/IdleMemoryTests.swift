import FastChatProtocol
import Foundation
@testable import FastChatServer
import NIOCore
import NIOPosix
import Testing

/// What an idle connection keeps: small buffers that still take whatever a peer sends.
@Suite("Idle connection memory")
struct IdleMemoryTests {
    @Test("A connection that starts with the small receive buffer still reads frames far larger than it, in order")
    func largeFramesThroughASmallReceiveBuffer() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.recvAllocator, value: ReceiveBuffers.allocator)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addFrameCodec(maxFrameBytes: Wire.defaultMaxFrameBytes)
                    try channel.pipeline.syncOperations.addHandler(EchoFrames())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: server.localAddress!.port!) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addFrameCodec(maxFrameBytes: Wire.defaultMaxFrameBytes)
                    return try NIOAsyncChannel<Frame, Frame>(wrappingChannelSynchronously: channel)
                }
            }
        let sizes = [10, ReceiveBuffers.initialBytes - 5, ReceiveBuffers.initialBytes + 1, Wire.defaultMaxFrameBytes - 1024, 3, 300_000, 7]
        let sent = sizes.enumerated().map { index, size in
            Frame(requestID: UInt64(index + 1), .send(.with { $0.envelope.ciphertext = Data(repeating: UInt8(index), count: size) }))
        }
        try await client.executeThenClose { inbound, outbound in
            for frame in sent { try await outbound.write(frame) }
            var received: [Frame] = []
            for try await frame in inbound {
                received.append(frame)
                if received.count == sent.count { break }
            }
            #expect(received == sent)
        }
    }

    @Test("Remembered acknowledgements give their room back once the window has passed, and work the same after")
    func recentAcknowledgementsShrinkBack() {
        var recent = RecentAcknowledgements()
        #expect(recent.capacity == 1)
        let start = ContinuousClock.now
        for seq in Int64(1)...100 { recent.remember(seq, at: start) }
        #expect(recent.contains(1) && recent.contains(100))
        #expect(recent.capacity >= 100)

        let later = start + RecentAcknowledgements.window + .seconds(1)
        recent.forget(before: later - RecentAcknowledgements.window)
        #expect(!recent.contains(1) && !recent.contains(100))
        #expect(recent.capacity == 1)

        recent.remember(7, at: later)
        recent.remember(7, at: later)
        #expect(recent.contains(7) && !recent.contains(8))
        recent.forget(before: later)
        #expect(recent.contains(7), "not yet out of the window")
    }
}

/// Sends every frame back as it came.
private final class EchoFrames: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)
    }
}
