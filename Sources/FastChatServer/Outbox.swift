import FastChatProtocol

/// Frames for one connection: replies and pushes from any task go straight to its `FrameWriter`.
struct Outbox: Sendable {
    let writer: FrameWriter

    func send(_ frame: Frame) {
        writer.send(frame)
    }

    func reply(to requestID: UInt64, _ body: Frame.OneOf_Body) {
        send(Frame(requestID: requestID, body))
    }

    func fail(_ requestID: UInt64, _ error: ProtocolError) {
        send(Frame(requestID: requestID, .error(error.wire)))
    }
}
