import FastChatProtocol
import NIOCore
import NIOEmbedded
import Testing

/// The frames written between two flushes leave as one buffer (one TLS record, not one per frame), in order; a
/// large one leaves as it is; the writers' promises are kept; a close passes on what was written before it.
@Suite struct WriteCoalescerTests {
    @Test func framesWrittenBeforeAFlushLeaveAsOneBufferInOrder() throws {
        let channel = try Self.channel()
        defer { _ = try? channel.finish() }
        let frames = (1...3).map { Frame(requestID: UInt64($0), .ping(.init())) }
        for frame in frames { channel.write(frame, promise: nil) }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing leaves before the flush")
        channel.flush()
        let buffers = try Self.outbound(channel)
        #expect(buffers.count == 1)
        #expect(try Self.frames(in: buffers) == frames)
    }

    @Test func aLargeFrameLeavesAsItIsAfterWhatWasJoinedBeforeIt() throws {
        let channel = try Self.channel()
        defer { _ = try? channel.finish() }
        let large = Frame.error(.badRequest, String(repeating: "x", count: 20_000))
        let frames = [Frame(requestID: 1, .ping(.init())), Frame(requestID: 2, .ping(.init())), large,
                      Frame(requestID: 3, .ping(.init()))]
        for frame in frames { channel.write(frame, promise: nil) }
        channel.flush()
        let buffers = try Self.outbound(channel)
        #expect(buffers.map(\.readableBytes).count == 3, "the two small ones joined, the large one, the last small one")
        #expect(try Self.frames(in: buffers) == frames)
    }

    @Test func everyWritersPromiseIsKeptOnFlush() throws {
        let channel = try Self.channel()
        let flushed = (1...3).map { _ in channel.eventLoop.makePromise(of: Void.self) }
        // Read as results, not waited for: a promise that is dropped fails the test instead of hanging it.
        var results: [Result<Void, any Error>?] = Array(repeating: nil, count: flushed.count)
        for (index, promise) in flushed.enumerated() {
            promise.futureResult.whenComplete { results[index] = $0 }
            channel.write(Frame(requestID: UInt64(index), .ping(.init())), promise: promise)
        }
        #expect(results.allSatisfy { $0 == nil }, "nothing is kept before the flush")
        channel.flush()
        channel.embeddedEventLoop.run()
        for result in results {
            guard case .success = result else {
                Issue.record("a writer's promise was not kept: \(String(describing: result))")
                continue
            }
        }
        _ = try? channel.finish()
    }

    /// A half-close passes on what was written before it, which a TLS handler below sends before closing its output.
    @Test func aHalfClosePassesOnWhatWasWrittenBeforeIt() throws {
        let channel = EmbeddedChannel()
        let recorder = CloseRecorder()
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.pipeline.syncOperations.addFrameCodec()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7001)).wait()
        defer { _ = try? channel.finish() }
        let frame = Frame(requestID: 1, .ping(.init()))
        channel.write(frame, promise: nil)
        channel.close(mode: .output, promise: nil)
        #expect(recorder.events == [.write, .close(.output)])
        #expect(try Self.frames(in: recorder.written) == [frame])
    }

    private static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addFrameCodec()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7001)).wait()
        return channel
    }

    private static func outbound(_ channel: EmbeddedChannel) throws -> [ByteBuffer] {
        var buffers: [ByteBuffer] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { buffers.append(buffer) }
        return buffers
    }

    /// The frames in the buffers, read back as a peer would: a 4-byte length, then that many bytes of `Frame`.
    private static func frames(in buffers: [ByteBuffer]) throws -> [Frame] {
        var wire = ByteBuffer()
        for var buffer in buffers { wire.writeBuffer(&buffer) }
        var frames: [Frame] = []
        while let length = wire.readInteger(as: UInt32.self) {
            let body = wire.readBytes(length: Int(length))
            try #require(body != nil, "a whole frame after its length")
            frames.append(try Frame(serializedBytes: body!))
        }
        #expect(wire.readableBytes == 0)
        return frames
    }
}

/// Records what reaches it from above: the buffers written and the closes, in order.
private final class CloseRecorder: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    enum Event: Equatable {
        case write
        case close(CloseMode)
    }
    private(set) var events: [Event] = []
    private(set) var written: [ByteBuffer] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        written.append(unwrapOutboundIn(data))
        events.append(.write)
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        events.append(.close(mode))
        context.close(mode: mode, promise: promise)
    }
}
