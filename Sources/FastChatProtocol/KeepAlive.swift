import NIOCore

/// The dialling end's keep-alive (clients, node links): pings when it has written nothing for `interval`, so the
/// node's idle timeout never ends a live but quiet connection, and closes the connection when nothing at all has
/// come back for three intervals (pings are answered), so a half-open connection ends here too. Pongs stop here.
/// Starts when told the interval (`start`), as a client learns it from the node's `HelloReply`. Sits after the
/// frame codec.
public final class KeepAlive: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = Frame
    public typealias InboundOut = Frame
    public typealias OutboundIn = Frame
    public typealias OutboundOut = Frame

    private var interval: TimeAmount?
    private var lastWrite = NIODeadline.now()
    private var lastRead = NIODeadline.now()
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    public init(interval: Duration? = nil) {
        self.interval = interval.map(TimeAmount.init)
    }

    /// Starts (or changes) the keep-alive. Call on the channel's event loop.
    public func start(interval: Duration) {
        self.interval = TimeAmount(interval)
        guard let context else { return }
        timer?.cancel()
        schedule(context)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if interval != nil { schedule(context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        if case .pong = unwrapInboundIn(data).body { return }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastWrite = .now()
        context.write(data, promise: promise)
    }

    private func schedule(_ context: ChannelHandlerContext) {
        guard let interval else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            tick(context, interval: interval)
        }
    }

    private func tick(_ context: ChannelHandlerContext, interval: TimeAmount) {
        let now = NIODeadline.now()
        if now - lastRead >= interval * 3 {
            context.close(promise: nil)
            return
        }
        if now - lastWrite >= interval {
            lastWrite = now
            context.writeAndFlush(wrapOutboundOut(Frame(.ping(.init()))), promise: nil)
        }
        schedule(context)
    }
}
