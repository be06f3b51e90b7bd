import NIOCore

/// Joins the small buffers written between two flushes into one, so a burst of frames (a node's deliveries in one
/// event-loop turn) leaves as one buffer. Over TLS every buffer written is sealed as a TLS record of its own
/// (swift-nio-ssl writes each one separately), so without this each frame costs a seal and 22 bytes of record
/// overhead; on plain TCP it shortens the `writev`. A large buffer (an image chunk) is not copied: it leaves as it
/// is, after what was joined before it, so the order stays.
///
/// Sits right below the frame codec, confined to its channel's event loop.
final class WriteCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Buffers at least this large are written as they are.
    static let largeWrite = 16 << 10

    private var joined: ByteBuffer?
    private var promises: [EventLoopPromise<Void>] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        if buffer.readableBytes >= Self.largeWrite {
            writeJoined(context)
            context.write(wrapOutboundOut(buffer), promise: promise)
            return
        }
        if joined == nil {
            joined = buffer
        } else {
            joined!.writeBuffer(&buffer)
        }
        if let promise { promises.append(promise) }
        if joined!.readableBytes >= Self.largeWrite { writeJoined(context) }
    }

    func flush(context: ChannelHandlerContext) {
        writeJoined(context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Passed on as they were written, so what a close keeps is as without this handler: swift-nio-ssl sends the
        // writes before a half-close (`.output`, after a node link's last forward) even unflushed.
        writeJoined(context)
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failJoined(ChannelError.ioOnClosedChannel)
    }

    private func writeJoined(_ context: ChannelHandlerContext) {
        guard let buffer = joined else { return }
        joined = nil
        let waiting = promises
        promises = []
        let promise: EventLoopPromise<Void>?
        switch waiting.count {
        case 0: promise = nil
        case 1: promise = waiting[0]
        default:
            promise = context.eventLoop.makePromise()
            for waiter in waiting { promise!.futureResult.cascade(to: waiter) }
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    private func failJoined(_ error: any Error) {
        joined = nil
        let waiting = promises
        promises = []
        for promise in waiting { promise.fail(error) }
    }
}
