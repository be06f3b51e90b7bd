import FastChatProtocol

/// Frames queued for one connection. Replies and pushes from any task go through it; one task per connection
/// drains it into the channel, so writes never interleave.
struct Outbox: Sendable {
    private let continuation: AsyncStream<Frame>.Continuation
    let frames: AsyncStream<Frame>

    init() {
        (frames, continuation) = AsyncStream.makeStream(of: Frame.self)
    }

    func send(_ frame: Frame) {
        continuation.yield(frame)
    }

    func reply(to requestID: UInt64, _ body: Frame.OneOf_Body) {
        send(Frame(requestID: requestID, body))
    }

    func fail(_ requestID: UInt64, _ error: ProtocolError) {
        send(.error(error.code, error.message, requestID: requestID))
    }

    func finish() {
        continuation.finish()
    }
}
