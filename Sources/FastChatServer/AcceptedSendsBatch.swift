import FastChatProtocol

/// The ✓s of one commit for connections that speak `Wire.acceptedSendsVersion`, gathered while the commit is reported
/// and added to its frames at the end: one `AcceptedSends` frame per connection, in the order its sends were accepted,
/// as many to a frame as `maxPerFrame`. A client that resends its backlog after a reconnect, or pastes many lines,
/// would otherwise be written a frame per message.
struct AcceptedSendsBatch {
    /// Keeps a frame far below any frame limit: an entry is a request id and a 16-byte message id.
    static let maxPerFrame = 512

    private var sends = ItemsPerConnection<Fastchat_V1_AcceptedSend>()

    mutating func add(_ request: SendRequest) {
        sends.add(.with {
            $0.requestID = request.requestID
            $0.messageID = request.accepted.messageID
        }, for: request.outbox)
    }

    /// Adds a frame (or more) for each connection to `frames`, and starts over.
    mutating func move(into frames: inout OutboundBatch) {
        sends.move(into: &frames, maxPerFrame: Self.maxPerFrame) { sends in
            Frame(.acceptedSends(.with { $0.sends = sends }))
        }
    }
}
