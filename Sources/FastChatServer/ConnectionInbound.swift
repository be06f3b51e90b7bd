import FastChatProtocol
import NIOCore

/// A connection's protocol state, as `ConnectionInbound` serves it: its opening, batch after batch, then its end.
protocol BatchedConnection: AnyObject, Sendable {
    /// Runs first, before anything of the connection is read (it counts the connection against the node's limits).
    func open() async
    /// Handles on the event loop, between batches, the leading frames that need no wait; returns the others (from the
    /// first that does), which come as the next batch.
    func handleWithoutWaiting(_ frames: ArraySlice<Frame>) -> ArraySlice<Frame>
    /// Handles `frames` in order. True to close the connection (what it answered is flushed by then): its channel
    /// handler drops whatever else the peer sent.
    func handle(_ frames: [Frame]) async -> Bool
    /// The channel became writable again (it was above its high-water mark). May run beside a batch.
    func becameWritable() async
    /// The channel closed while a batch was being handled: whatever in it waits to write need wait no longer.
    func channelClosed() async
    /// The connection's end, after its last batch. Runs once, for every connection whose opening ran.
    func end() async
}

/// A connection's inbound side, confined to its channel's event loop. Collects the decoded frames, handles on the
/// loop those that need no wait (`handleWithoutWaiting`: no task, no hop), and hands the rest to the node's
/// `ConnectionScheduler` in batches, one batch at a time; while a batch is handled the channel is not read
/// (back-pressure: a connection that is not read pays, never the node), and the frames that arrive meanwhile (those
/// already read) come as the next batch. When a batch is done its task tells the loop (one `execute`), which hands
/// over the next batch or reads on. Its opening is handed over the same way as soon as it is added, before anything
/// is read. Once the channel has closed and the last batch is done, it hands over the end. An idle connection holds
/// no task.
///
/// Sits last in the pipeline, after the frame codec.
final class ConnectionInbound<Connection: BatchedConnection>: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = Frame
    typealias OutboundIn = NIOAny

    private let connection: Connection
    private let scheduler: ConnectionScheduler
    private var pending: [Frame] = []
    /// A batch is out: the connection's state is its task's until it is done.
    private var handling = false
    /// The connection asked to be closed: nothing the peer sends is handled any more.
    private var closing = false
    private var closed = false
    private var ended = false
    /// A read was asked for while a batch was out; it is issued once the connection may be read again.
    private var readHeld = false

    init(_ connection: Connection, scheduler: ConnectionScheduler) {
        self.connection = connection
        self.scheduler = scheduler
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let connection = self.connection
        handling = true
        let job = afterwards(context) {
            await connection.open()
            return false
        }
        guard scheduler.start(job) else {
            // The node has stopped: the connection is closed unserved, with no end to run.
            handling = false
            ended = true
            context.close(promise: nil)
            return
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, !ended else { return }
        pending.append(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        handOver(context)
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        guard !handling, !closing, pending.isEmpty else {
            readHeld = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Only becoming writable wakes anyone (`OutboundFlow`), and it reads the channel's state then, so the
        // changes need no order among themselves; they must not wait behind a batch, so each is a job of its own.
        if context.channel.isWritable, !ended {
            let connection = self.connection
            scheduler.run { await connection.becameWritable() }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        if handling {
            let connection = self.connection
            scheduler.run { await connection.channelClosed() }
        }
        handOver(context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // As an async channel's reader would: the connection ends (the codec has answered a bad frame already).
        context.close(promise: nil)
    }

    /// Hands over the next batch if the connection may have one; else, once it has closed, its end; else reads on.
    private func handOver(_ context: ChannelHandlerContext) {
        guard !handling, !ended else { return }
        if !pending.isEmpty && !closing {
            // No batch is out: the connection's state is the loop's.
            let rest = connection.handleWithoutWaiting(pending[...])
            pending = []
            if !rest.isEmpty {
                let frames = Array(rest)
                handling = true
                let connection = self.connection
                // Runs: the scheduler does not stop before this connection has ended.
                scheduler.run(afterwards(context) { await connection.handle(frames) })
                return
            }
        }
        if closed {
            ended = true
            pending = []
            let connection = self.connection
            scheduler.end { await connection.end() }
            return
        }
        if readHeld && !closing {
            readHeld = false
            context.read()
        }
    }

    /// A job that runs `work` (true: close the connection), then tells the loop that the connection may go on.
    private func afterwards(
        _ context: ChannelHandlerContext, _ work: @escaping @Sendable () async -> Bool
    ) -> ConnectionScheduler.Job {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        return {
            let close = await work()
            loop.execute {
                let (handler, context) = bound.value
                handler.batchDone(context, close: close)
            }
        }
    }

    private func batchDone(_ context: ChannelHandlerContext, close: Bool) {
        handling = false
        if close && !closed {
            closing = true
            pending = []
            context.close(promise: nil)
        }
        handOver(context)
    }
}
