import FastChatProtocol

/// The ✓s of one commit for connections that speak `Wire.acceptedSendsVersion`, gathered while the commit is reported
/// and added to its frames at the end: one `AcceptedSends` frame per connection, in the order its sends were accepted,
/// as many to a frame as `maxPerFrame`. A client that resends its backlog after a reconnect, or pastes many lines,
/// would otherwise be written a frame per message.
struct AcceptedSendsBatch {
    /// Keeps a frame far below any frame limit: an entry is a request id and a 16-byte message id.
    static let maxPerFrame = 512

    private var connections: [ObjectIdentifier: (outbox: Outbox, sends: [Fastchat_V1_AcceptedSend])] = [:]
    /// The connections in the order their first send came, so that frames go out in a predictable order.
    private var order: [ObjectIdentifier] = []

    mutating func add(_ request: SendRequest) {
        let key = request.outbox.writer.connectionID
        if connections[key] == nil {
            connections[key] = (request.outbox, [])
            order.append(key)
        }
        connections[key]?.sends.append(.with {
            $0.requestID = request.requestID
            $0.messageID = request.accepted.messageID
        })
    }

    /// Adds a frame (or more) for each connection to `frames`, and starts over.
    mutating func move(into frames: inout OutboundBatch) {
        for key in order {
            guard let (outbox, sends) = connections[key] else { continue }
            for start in stride(from: 0, to: sends.count, by: Self.maxPerFrame) {
                let chunk = sends[start..<min(start + Self.maxPerFrame, sends.count)]
                frames.send(Frame(.acceptedSends(.with { $0.sends = Array(chunk) })), to: outbox)
            }
        }
        (connections, order) = ([:], [])
    }
}
