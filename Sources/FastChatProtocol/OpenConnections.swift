import NIOCore

/// The connections one listener accepted that are still open, so that closing the listener closes those no task
/// took up: NIO may drop connections it accepted while its listener closes (apple/swift-nio#2637), and a dropped
/// one, never read, would stay open. It lives in the listener's pipeline, so its state is confined to the
/// listener's event loop, and forgets each connection when it closes: a listener that runs for months holds
/// nothing for the connections that came and went. (Each connection used to register a callback on the
/// listener's close future instead, which kept every connection ever accepted, about 2 kB each, until the listener
/// closed.) A node's connections, served by channel handlers rather than tasks, are all closed with the listener.
final class OpenConnections: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    private struct Tracked {
        let connection: any Channel
        let evenIfServed: Bool
    }
    private var connections: [ObjectIdentifier: Tracked] = [:]

    /// Tracks `connection`, accepted by `listener`, until it closes; closes it at once (unless already served and
    /// not `evenIfServed`) if the listener has closed meanwhile.
    static func track(_ connection: any Channel, acceptedBy listener: any Channel, evenIfServed: Bool) {
        let id = ObjectIdentifier(connection)
        listener.eventLoop.execute {
            guard listener.isActive, let open = try? ofListener(listener) else {
                close(connection, evenIfServed: evenIfServed)
                return
            }
            open.connections[id] = Tracked(connection: connection, evenIfServed: evenIfServed)
            let forget = NIOLoopBound(open, eventLoop: listener.eventLoop)
            connection.closeFuture.whenComplete { _ in
                listener.eventLoop.execute { forget.value.connections[id] = nil }
            }
        }
    }

    /// The listener's instance, added to its pipeline by the first connection. On the listener's event loop.
    private static func ofListener(_ listener: any Channel) throws -> OpenConnections {
        let pipeline = listener.pipeline.syncOperations
        if let open = try? pipeline.handler(type: OpenConnections.self) { return open }
        let open = OpenConnections()
        try pipeline.addHandler(open)
        return open
    }

    /// The listener closed: its pipeline is taken down.
    func handlerRemoved(context: ChannelHandlerContext) {
        for tracked in connections.values { Self.close(tracked.connection, evenIfServed: tracked.evenIfServed) }
        connections = [:]
    }

    private static func close(_ connection: any Channel, evenIfServed: Bool) {
        guard !evenIfServed else {
            connection.close(promise: nil)
            return
        }
        connection.eventLoop.execute {
            let guarded = try? connection.pipeline.syncOperations.handler(type: UnservedConnectionGuard.self)
            if guarded?.adopted == false { connection.close(promise: nil) }
        }
    }
}
