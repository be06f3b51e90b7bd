import FastChatProtocol
import NIOCore

/// Frames for one connection: replies and pushes from any task go straight to its `FrameWriter`.
struct Outbox: Sendable {
    let writer: FrameWriter

    func send(_ frame: Frame) {
        writer.send(frame)
    }

    /// From the channel's event loop, written at once rather than queued behind the loop's other work, so that the
    /// channel's buffer counts it when the sender next asks `isWritable` (a delivery, which runs on the loop). From
    /// elsewhere, as `send`.
    func sendNow(_ frame: Frame) {
        writer.sendNow(frame)
    }

    /// Hands what was written so far to the socket (through TLS, which holds it until then): at once on the channel's
    /// event loop, else queued.
    func flushNow() {
        writer.flushNow()
    }

    func reply(to requestID: UInt64, _ body: Frame.OneOf_Body) {
        send(Frame(requestID: requestID, body))
    }

    var isWritable: Bool { writer.isWritable }

    var eventLoop: any EventLoop { writer.eventLoop }

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
