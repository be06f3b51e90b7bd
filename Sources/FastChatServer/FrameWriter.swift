import FastChatProtocol
import NIOCore

/// Writes frames to one channel from any task, in the order each task sends them, and flushes once for everything
/// written in the same event-loop turn: a burst of deliveries becomes one system call instead of one per frame,
/// and no task waits for the socket.
struct FrameWriter: Sendable {
    private let channel: any Channel
    private let state: NIOLoopBound<FlushState>

    private final class FlushState {
        var flushScheduled = false
    }

    private init(channel: any Channel, state: NIOLoopBound<FlushState>) {
        self.channel = channel
        self.state = state
    }

    static func make(for channel: any Channel) async throws -> FrameWriter {
        try await channel.eventLoop.submit { FrameWriter(onLoopOf: channel) }.get()
    }

    /// On `channel`'s event loop.
    init(onLoopOf channel: any Channel) {
        self.init(channel: channel, state: NIOLoopBound(FlushState(), eventLoop: channel.eventLoop))
    }

    func send(_ frame: Frame) {
        // Always through the loop's queue, even from the loop itself, so frames keep the order they were sent in.
        channel.eventLoop.execute { [self] in write(frame) }
    }

    /// `send`, but written at once when called on the channel's event loop. It may then pass frames that other
    /// threads queued before: for a sender whose frames need no order with anyone else's.
    func sendNow(_ frame: Frame) {
        if channel.eventLoop.inEventLoop { write(frame) } else { send(frame) }
    }

    func flushNow() {
        if channel.eventLoop.inEventLoop {
            channel.flush()
        } else {
            channel.eventLoop.execute { [channel] in channel.flush() }
        }
    }

    /// Frames for many connections, with one hop to each event loop among them rather than one per frame: a commit
    /// stage answers a whole batch at once. Each connection's frames keep their order, and follow what was sent to it
    /// before.
    static func send(_ frames: [(writer: FrameWriter, frame: Frame)]) {
        for (loop, frames) in frames.groupedByEventLoop(\.writer.eventLoop) {
            loop.execute {
                for (writer, frame) in frames { writer.write(frame) }
            }
        }
    }

    /// On the channel's event loop.
    private func write(_ frame: Frame) {
        channel.write(frame, promise: nil)
        guard !state.value.flushScheduled else { return }
        state.value.flushScheduled = true
        // Queued behind the writes already waiting, so they all go out with this flush.
        channel.eventLoop.execute { [channel, state] in
            state.value.flushScheduled = false
            channel.flush()
        }
    }

    /// The channel's event loop.
    var eventLoop: any EventLoop { channel.eventLoop }

    /// Tells connections apart: the same for every writer of one channel.
    var connectionID: ObjectIdentifier { ObjectIdentifier(channel) }

    /// False while the connection's outbound buffer is above its high-water mark (until it drains below the low
    /// one): its peer is not keeping up.
    var isWritable: Bool { channel.isWritable }

    /// Bytes written to the channel and not yet taken by the socket (0 once the channel is closed).
    func bufferedBytes() async -> Int {
        let channel = self.channel
        let bytes = try? await channel.eventLoop.submit {
            try channel.syncOptions?.getOption(.bufferedWritableBytes)
        }.get()
        return (bytes ?? nil) ?? 0
    }

    /// Returns once everything sent before has been handed to the socket (before closing the connection).
    func flush() async {
        let channel = self.channel
        try? await channel.eventLoop.submit { channel.flush() }.get()
    }
}
