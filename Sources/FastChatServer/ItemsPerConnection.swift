import FastChatProtocol

/// Items bound for signed-in connections, gathered while one piece of work is handled and then written as few frames
/// as possible: each connection's items in the order they came, cut into frames of at most `maxPerFrame`, the
/// connections in the order their first item came (so that frames go out in a predictable order).
struct ItemsPerConnection<Item> {
    private var connections: [ObjectIdentifier: (outbox: Outbox, items: [Item])] = [:]
    private var order: [ObjectIdentifier] = []

    mutating func add(_ item: Item, for outbox: Outbox) {
        let key = outbox.writer.connectionID
        if connections[key] == nil {
            connections[key] = (outbox, [])
            order.append(key)
        }
        connections[key]?.items.append(item)
    }

    /// Adds each connection's frames to `frames`, and starts over.
    mutating func move(into frames: inout OutboundBatch, maxPerFrame: Int, frame: ([Item]) -> Frame) {
        precondition(maxPerFrame > 0)
        for key in order {
            guard let (outbox, items) = connections[key] else { continue }
            for start in stride(from: 0, to: items.count, by: maxPerFrame) {
                frames.send(frame(Array(items[start..<min(start + maxPerFrame, items.count)])), to: outbox)
            }
        }
        (connections, order) = ([:], [])
    }
}
