import FastChatProtocol

/// Replies and pushes for many connections, gathered while a batch is reported and sent together at its end
/// (`FrameWriter.send(_:)`): one hop to each event loop for the batch, not one per frame.
struct OutboundBatch: Sendable {
    private var frames: [(writer: FrameWriter, frame: Frame)] = []

    mutating func send(_ frame: Frame, to outbox: Outbox) {
        frames.append((outbox.writer, frame))
    }

    mutating func reply(to requestID: UInt64, _ body: Frame.OneOf_Body, on outbox: Outbox) {
        send(Frame(requestID: requestID, body), to: outbox)
    }

    mutating func fail(_ requestID: UInt64, on outbox: Outbox, _ error: ProtocolError) {
        send(Frame(requestID: requestID, .error(error.wire)), to: outbox)
    }

    /// Hands everything gathered to the connections' event loops, and starts over.
    mutating func send() {
        guard !frames.isEmpty else { return }
        FrameWriter.send(frames)
        frames = []
    }
}
