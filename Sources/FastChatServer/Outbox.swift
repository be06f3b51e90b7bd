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

    var isWritable: Bool { writer.isWritable }

    func bufferedBytes() async -> Int {
        await writer.bufferedBytes()
    }

    /// Returns once what was sent so far is in the channel's own buffer, so `isWritable` counts it.
    func settle() async {
        await writer.flush()
    }

    func fail(_ requestID: UInt64, _ error: ProtocolError) {
        send(Frame(requestID: requestID, .error(error.wire)))
    }
}
