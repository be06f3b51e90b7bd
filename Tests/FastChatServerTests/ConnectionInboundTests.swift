import FastChatProtocol
@testable import FastChatServer
import NIOCore
import NIOEmbedded
import Testing

/// A connection's channel handler and the node's connection scheduler, on a testing channel: the opening first,
/// batches one at a time and in order, no reading while the opening or a batch is out, the end once and last.
@Suite(.timeLimit(.minutes(1))) struct ConnectionInboundTests {
    @Test func framesThatArriveDuringABatchComeInOrderAsTheNextOneAndReadingWaitsForBoth() async throws {
        let fixture = try await Fixture()
        await fixture.run { fixture in
            try await fixture.channel.writeInbound(Self.frame(1))
            #expect(await fixture.next() == .opened)
            #expect(await fixture.next() == .started([1]))
            try await fixture.channel.writeInbound(Self.frame(2))
            try await fixture.channel.writeInbound(Self.frame(3))
            fixture.channel.read()
            await fixture.gate.open()
            #expect(await fixture.next() == .handled([1]))
            #expect(await fixture.next() == .started([2, 3]))
            #expect(await fixture.next() == .handled([2, 3]))
            #expect(await fixture.next() == .read, "the read asked for during the batches is issued after them")

            try await fixture.channel.writeInbound(Self.frame(4))
            #expect(await fixture.next() == .started([4]))
            #expect(await fixture.next() == .handled([4]))
            try await fixture.channel.close()
            #expect(await fixture.next() == .ended)
        }
        #expect(await fixture.rest().isEmpty)
    }

    /// What the connection can handle on the loop (here: request ids above 100) is handled there, in order, with no
    /// batch; from the first frame that has to wait, the rest of the read goes as one batch, in order.
    @Test func framesThatNeedNoWaitAreHandledOnTheLoopAndTheRestComeAsABatch() async throws {
        let fixture = try await Fixture()
        await fixture.run { fixture in
            #expect(await fixture.next() == .opened)
            try await fixture.read([101, 102])
            #expect(await fixture.next() == .onLoop(101))
            #expect(await fixture.next() == .onLoop(102))
            try await fixture.read([103, 4, 105])
            #expect(await fixture.next() == .onLoop(103))
            #expect(await fixture.next() == .started([4, 105]), "105 waits behind 4")
            await fixture.gate.open()
            #expect(await fixture.next() == .handled([4, 105]))
            try await fixture.read([106])
            #expect(await fixture.next() == .onLoop(106))
            try await fixture.channel.close()
            #expect(await fixture.next() == .ended)
        }
        #expect(await fixture.rest().isEmpty)
    }

    /// The node stops while a connection is in a batch: the scheduler waits for that connection to close and end.
    @Test func aCloseDuringABatchRunsTheEndOnceAfterTheBatch() async throws {
        let fixture = try await Fixture()
        await fixture.run { fixture in
            try await fixture.channel.writeInbound(Self.frame(1))
            #expect(await fixture.next() == .opened)
            #expect(await fixture.next() == .started([1]))
            fixture.scheduler.stop()
            try await fixture.channel.close()
            #expect(await fixture.next() == .channelClosed, "whatever the batch waits for is released at once")
            await fixture.gate.open()
            #expect(await fixture.next() == .handled([1]))
            #expect(await fixture.next() == .ended)
        }
        #expect(await fixture.rest().isEmpty)
    }

    @Test func aBatchThatClosesTheConnectionDropsWhatCameMeanwhile() async throws {
        let fixture = try await Fixture(closingAfter: 1)
        await fixture.run { fixture in
            try await fixture.channel.writeInbound(Self.frame(1))
            #expect(await fixture.next() == .opened)
            #expect(await fixture.next() == .started([1]))
            try await fixture.channel.writeInbound(Self.frame(2))
            await fixture.gate.open()
            #expect(await fixture.next() == .handled([1]))
            #expect(await fixture.next() == .ended)
            #expect(!fixture.channel.isActive)
        }
        #expect(await fixture.rest().isEmpty, "frame 2 was not handled")
    }

    /// The opening (which counts the connection against the node's limits) runs before anything is read, and a
    /// connection that never sent a frame still ends (giving its count back).
    @Test func nothingIsReadBeforeTheOpeningAndASilentConnectionEndsToo() async throws {
        let fixture = try await Fixture(holdingTheOpening: true)
        await fixture.run { fixture in
            #expect(await fixture.next() == .opening)
            fixture.channel.read()
            await fixture.gate.open()
            #expect(await fixture.next() == .opened)
            #expect(await fixture.next() == .read, "the read asked for during the opening is issued after it")
            try await fixture.channel.close()
            #expect(await fixture.next() == .ended)
        }
        #expect(await fixture.rest().isEmpty)
    }

    /// A connection accepted after the node stopped is closed unserved: no opening, no end.
    @Test func aConnectionAddedAfterTheSchedulerStoppedIsClosedUnserved() async throws {
        let scheduler = ConnectionScheduler()
        scheduler.stop()
        await scheduler.run()
        let fixture = try await Fixture(scheduler: scheduler)
        #expect(!fixture.channel.isActive)
        #expect(await fixture.rest().isEmpty)
    }

    private static func frame(_ requestID: UInt64) -> Frame {
        Frame(requestID: requestID, .ping(.init()))
    }
}

private enum Event: Equatable, Sendable {
    case opening
    case opened
    case onLoop(UInt64)
    case started([UInt64])
    case handled([UInt64])
    case read
    case channelClosed
    case ended
}

/// A connected testing channel with a scheduler, a connection that records what it is given (each batch waits at
/// `gate` until it is opened), and a handler that records the reads passing it towards the socket.
private struct Fixture: Sendable {
    let channel = NIOAsyncTestingChannel()
    let scheduler: ConnectionScheduler
    let gate = Gate()
    private let recorder: AsyncStream<Event>.Continuation
    private let events: Events

    init(
        closingAfter closingRequest: UInt64? = nil, holdingTheOpening: Bool = false,
        scheduler: ConnectionScheduler = ConnectionScheduler()
    ) async throws {
        self.scheduler = scheduler
        let (stream, recorder) = AsyncStream.makeStream(of: Event.self)
        self.recorder = recorder
        events = Events(stream.makeAsyncIterator())
        await gate.close()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        let connection = RecordingConnection(
            gate: gate, recorder: recorder, closingAfter: closingRequest, holdingTheOpening: holdingTheOpening)
        let (channel, scheduler) = (self.channel, self.scheduler)
        try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.addHandler(ReadRecorder(recorder))
            try channel.pipeline.syncOperations.addHandler(ConnectionInbound(connection, scheduler: scheduler))
        }
    }

    /// Runs the scheduler beside `body`, then stops it and waits for it (so for every end).
    func run(_ body: @Sendable (Fixture) async throws -> Void) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await scheduler.run() }
            do {
                try await body(self)
            } catch {
                Issue.record(error)
            }
            scheduler.stop()
        }
    }

    func next() async -> Event? {
        await events.next()
    }

    /// Delivers `requestIDs` as the frames of one read.
    func read(_ requestIDs: [UInt64]) async throws {
        let channel = self.channel
        try await channel.testingEventLoop.executeInContext {
            for id in requestIDs { channel.pipeline.fireChannelRead(Frame(requestID: id, .ping(.init()))) }
            channel.pipeline.fireChannelReadComplete()
        }
    }

    /// What was recorded and not yet taken; call once the scheduler has returned.
    func rest() async -> [Event] {
        recorder.finish()
        var rest: [Event] = []
        while let event = await events.next() { rest.append(event) }
        return rest
    }

    /// The recorded events, taken by one test task at a time.
    private final class Events: @unchecked Sendable {
        private var iterator: AsyncStream<Event>.Iterator

        init(_ iterator: AsyncStream<Event>.Iterator) {
            self.iterator = iterator
        }

        func next() async -> Event? {
            await iterator.next()
        }
    }
}

private final class RecordingConnection: BatchedConnection, @unchecked Sendable {
    // Immutable after init; the continuation is thread-safe.
    let gate: Gate
    let recorder: AsyncStream<Event>.Continuation
    let closingRequest: UInt64?
    let holdingTheOpening: Bool

    init(
        gate: Gate, recorder: AsyncStream<Event>.Continuation, closingAfter closingRequest: UInt64?,
        holdingTheOpening: Bool
    ) {
        self.gate = gate
        self.recorder = recorder
        self.closingRequest = closingRequest
        self.holdingTheOpening = holdingTheOpening
    }

    func open() async {
        if holdingTheOpening {
            recorder.yield(.opening)
            await gate.pass()
        }
        recorder.yield(.opened)
    }

    func handleWithoutWaiting(_ frames: ArraySlice<Frame>) -> ArraySlice<Frame> {
        var rest = frames
        while let frame = rest.first, frame.requestID > 100 {
            recorder.yield(.onLoop(frame.requestID))
            rest.removeFirst()
        }
        return rest
    }

    func handle(_ frames: [Frame]) async -> Bool {
        let ids = frames.map(\.requestID)
        recorder.yield(.started(ids))
        await gate.pass()
        recorder.yield(.handled(ids))
        return closingRequest.map(ids.contains) ?? false
    }

    func becameWritable() async {}

    func channelClosed() async {
        recorder.yield(.channelClosed)
    }

    func end() async {
        recorder.yield(.ended)
    }
}

private final class ReadRecorder: ChannelOutboundHandler {
    typealias OutboundIn = NIOAny
    private let recorder: AsyncStream<Event>.Continuation

    init(_ recorder: AsyncStream<Event>.Continuation) {
        self.recorder = recorder
    }

    func read(context: ChannelHandlerContext) {
        recorder.yield(.read)
        context.read()
    }
}
