import NIOCore

/// Accepted connections are handed over as plain channels and wrapped in a `NIOAsyncChannel` only by the task that
/// serves them, right before `executeThenClose`. NIO traps ("Deinited NIOAsyncWriter without calling finish()") on
/// a `NIOAsyncChannel` that is dropped unserved, and a listener that stops (a node cancelled or shut down) can drop
/// the connections it accepted in that instant (apple/swift-nio#2637). A dropped plain channel is harmless: it is
/// not read (auto-read stays off until it is served) and `UnservedConnectionGuard` closes it.

/// Prepares a just-accepted connection: frame codec and the guard. Call it in the child channel initializer of a
/// bootstrap with `.childChannelOption(.autoRead, value: false)`, and return the channel itself.
///
/// `closedWithListener`: the connection is closed when its listener closes even once it is served (by a channel
/// handler: no serving task whose cancellation would close it). Otherwise only a connection still unserved is.
public func prepareAcceptedConnection(
    _ channel: any Channel, maxFrameBytes: Int = Wire.defaultMaxFrameBytes, closedWithListener: Bool = false
) throws {
    try channel.pipeline.syncOperations.addHandler(UnservedConnectionGuard())
    try channel.pipeline.syncOperations.addFrameCodec(maxFrameBytes: maxFrameBytes)
    // Not a timer: on a busy machine a serving task can take seconds to start, and that is no reason to hang up.
    if let listener = channel.parent {
        OpenConnections.track(channel, acceptedBy: listener, evenIfServed: closedWithListener)
    }
}

/// Marks a prepared connection as served, on its event loop: closing the listener no longer closes it (unless it was
/// prepared `closedWithListener`). The caller then serves it (reading it: `autoRead`).
public func adoptAcceptedConnection(_ channel: any Channel) throws {
    try channel.pipeline.syncOperations.handler(type: UnservedConnectionGuard.self).adopt()
}

/// Serves every connection `listener` accepts, each in its own child task, until the listening channel closes.
/// Cancelling the caller closes the listener, which then hands over what it already accepted; each of those is
/// served with its task cancelled, so it ends at once.
///
/// A connection over `limits` is served only its refusal: its first frame is answered with the error, then it is
/// closed; `onRefused` is told why (for the refusal counters).
public func serveConnections(
    of listener: NIOAsyncChannel<any Channel, Never>,
    limits: ConnectionCounts? = nil,
    onRefused: @escaping @Sendable (ProtocolError) -> Void = { _ in },
    onListenerError: @escaping @Sendable (any Error) -> Void = { _ in },
    _ serve: @escaping @Sendable (NIOAsyncChannel<Frame, Frame>) async -> Void
) async {
    // Unstructured on purpose, so the caller's cancellation reaches the loop only by closing the listener; the
    // caller still waits for it, so it does not outlive the call.
    let accepting = Task {
        await withDiscardingTaskGroup { connections in
            do {
                try await listener.executeThenClose { inbound in
                    for try await channel in inbound {
                        connections.addTask {
                            guard let connection = try? await adopt(channel) else {
                                channel.close(promise: nil)
                                return
                            }
                            let address = channel.peerHost
                            if let refusal = await limits?.admit(address) {
                                onRefused(refusal)
                                await refuse(connection, with: refusal)
                                return
                            }
                            await serve(connection)
                            await limits?.release(address)
                        }
                    }
                }
            } catch {
                onListenerError(error)
            }
            connections.cancelAll()
        }
    }
    await withTaskCancellationHandler {
        await accepting.value
    } onCancel: {
        listener.channel.close(promise: nil)
    }
}

/// Wraps an accepted connection for async use and starts reading it. The caller must run `executeThenClose` on the
/// result (it does so without suspending in between).
private func adopt(_ channel: any Channel) async throws -> NIOAsyncChannel<Frame, Frame> {
    try await channel.eventLoop.submit {
        try adoptAcceptedConnection(channel)
        let connection = try NIOAsyncChannel<Frame, Frame>(wrappingChannelSynchronously: channel)
        try channel.syncOptions?.setOption(.autoRead, value: true)
        return connection
    }.get()
}

/// Marks whether an accepted connection has been taken up by a serving task.
final class UnservedConnectionGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private(set) var adopted = false

    func adopt() {
        adopted = true
    }
}

/// Answers the connection's first frame with `error`, then closes it (the peer's own deadline for that frame is
/// the pipeline's, `ConnectionDeadlines`).
private func refuse(_ connection: NIOAsyncChannel<Frame, Frame>, with error: ProtocolError) async {
    try? await connection.executeThenClose { inbound, outbound in
        var frames = inbound.makeAsyncIterator()
        guard let first = try await frames.next() else { return }
        try await outbound.write(Frame(requestID: first.requestID, .error(error.wire)))
    }
}
