import NIOCore

/// Closes an accepted connection whose peer does not say its first frame within `firstFrame` of being accepted
/// (the TLS handshake included), or, once it has, sends no frame for `idle`. Whole frames count, not bytes: a peer
/// that dribbles a frame a byte at a time does not keep a connection alive. Sits after the frame decoder.
public final class ConnectionDeadlines: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = Frame
    public typealias InboundOut = Frame

    private let firstFrame: TimeAmount
    private let idle: TimeAmount?
    private var sawFrame = false
    private var lastFrame = NIODeadline.now()
    private var timer: Scheduled<Void>?

    /// `idle` nil: only the first frame has a deadline.
    public init(firstFrame: Duration, idle: Duration?) {
        self.firstFrame = TimeAmount(firstFrame)
        self.idle = idle.map(TimeAmount.init)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        schedule(context, at: .now() + firstFrame)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastFrame = .now()
        if !sawFrame {
            sawFrame = true
            // From now on only the idle deadline counts, however far off the first-frame one was.
            timer?.cancel()
            if let idle { schedule(context, at: lastFrame + idle) }
        }
        context.fireChannelRead(data)
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            check(context)
        }
    }

    private func check(_ context: ChannelHandlerContext) {
        guard sawFrame else {
            context.close(promise: nil)
            return
        }
        guard let idle else { return }
        let due = lastFrame + idle
        if due <= .now() {
            context.close(promise: nil)
        } else {
            schedule(context, at: due)
        }
    }
}
