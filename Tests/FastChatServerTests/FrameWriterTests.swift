import FastChatProtocol
@testable import FastChatServer
import NIOCore
import NIOEmbedded
import Testing

/// The frame writer on a testing channel: what reaches the channel, in which order, and how often it is flushed.
@Suite struct FrameWriterTests {
    @Test func framesComeOutInTheOrderTheyWereSent() async throws {
        let channel = NIOAsyncTestingChannel()
        let writer = try await FrameWriter.make(for: channel)
        for seq in UInt64(1)...200 { writer.send(Self.frame(seq)) }
        await writer.flush()

        var seqs: [UInt64] = []
        while let frame = try await channel.readOutbound(as: Frame.self) {
            guard case .deliver(let deliver) = frame.body else { throw Unexpected(frame: frame) }
            seqs.append(deliver.seq)
        }
        #expect(seqs == Array(1...200))
    }

    /// Everything sent during one turn of the loop goes out with one flush, after the last of those writes.
    @Test func framesSentInOneLoopTurnShareOneFlush() async throws {
        let channel = NIOAsyncTestingChannel()
        try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.addHandler(FlushRecorder())
        }
        let writer = try await FrameWriter.make(for: channel)

        for burst in [UInt64(1)...5, 6...8] {
            try await channel.testingEventLoop.executeInContext {
                for seq in burst { writer.send(Self.frame(seq)) }
            }
            await channel.testingEventLoop.run()
        }

        let events = try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.handler(type: FlushRecorder.self).events
        }
        #expect(events == [.write(1), .write(2), .write(3), .write(4), .write(5), .flush, .write(6), .write(7), .write(8), .flush])
        var flushed = 0
        while try await channel.readOutbound(as: Frame.self) != nil { flushed += 1 }
        #expect(flushed == 8)
    }

    /// A batch for connections on two loops: each connection gets its frames in order, after what was sent to it
    /// before, with one flush for the batch.
    @Test func aBatchReachesEachConnectionInOrderWithOneFlush() async throws {
        let shared = NIOAsyncTestingEventLoop()
        let (first, second) = (NIOAsyncTestingChannel(loop: shared), NIOAsyncTestingChannel(loop: shared))
        let other = NIOAsyncTestingChannel()
        var writers: [FrameWriter] = []
        for channel in [first, second, other] {
            try await channel.testingEventLoop.executeInContext {
                try channel.pipeline.syncOperations.addHandler(FlushRecorder())
            }
            writers.append(try await FrameWriter.make(for: channel))
        }
        writers[0].send(Self.frame(1))
        var batch: [(writer: FrameWriter, frame: Frame)] = []
        for seq in UInt64(2)...7 { batch.append((writers[Int(seq) % 3], Self.frame(seq))) }
        FrameWriter.send(batch)
        await shared.run()
        await other.testingEventLoop.run()

        var events: [[FlushRecorder.Event]] = []
        for channel in [first, second, other] {
            events.append(try await channel.testingEventLoop.executeInContext {
                try channel.pipeline.syncOperations.handler(type: FlushRecorder.self).events
            })
        }
        // Seqs 3 and 6 went to the first writer, 4 and 7 to the second, 2 and 5 to the other.
        // (Whether the first frame's flush came before the batch depends on when the testing loop ran its task.)
        #expect(events[0].filter { $0 != .flush } == [.write(1), .write(3), .write(6)])
        #expect(events[0].last == .flush)
        #expect(events[1] == [.write(4), .write(7), .flush])
        #expect(events[2] == [.write(2), .write(5), .flush])
    }

    private static func frame(_ seq: UInt64) -> Frame {
        Frame(.deliver(.with { $0.seq = seq }))
    }

    private struct Unexpected: Error {
        var frame: Frame
    }
}

/// Records the writes and flushes that pass it, on the channel's loop.
private final class FlushRecorder: ChannelOutboundHandler {
    typealias OutboundIn = Frame
    typealias OutboundOut = Frame

    enum Event: Equatable, Sendable {
        case write(UInt64)
        case flush
    }

    private(set) var events: [Event] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .deliver(let deliver) = unwrapOutboundIn(data).body { events.append(.write(deliver.seq)) }
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        events.append(.flush)
        context.flush()
    }
}
