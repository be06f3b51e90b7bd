import NIOCore

/// Serves every connection `listener` accepts, each in its own child task, until the listening channel closes.
///
/// Cancelling the caller closes the listening channel rather than abandoning the accept loop: NIO traps ("Deinited
/// NIOAsyncWriter without calling finish()") on an accepted connection that is dropped before `executeThenClose`
/// runs, which is what a cancelled `for await` over the listener does to connections still buffered in it
/// (apple/swift-nio#2637). Closed instead, the listener hands over everything it accepted, and each connection is
/// run (and, its task cancelled, ends at once).
public func serveConnections<Inbound: Sendable, Outbound: Sendable>(
    of listener: NIOAsyncChannel<NIOAsyncChannel<Inbound, Outbound>, Never>,
    onListenerError: @escaping @Sendable (any Error) -> Void = { _ in },
    _ serve: @escaping @Sendable (NIOAsyncChannel<Inbound, Outbound>) async -> Void
) async {
    // Unstructured on purpose: it must not inherit the caller's cancellation (see above); the caller still waits
    // for it, so it does not outlive the call.
    let accepting = Task {
        await withDiscardingTaskGroup { connections in
            do {
                try await listener.executeThenClose { inbound in
                    for try await connection in inbound {
                        connections.addTask { await serve(connection) }
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
