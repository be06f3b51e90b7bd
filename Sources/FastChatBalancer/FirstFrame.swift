import FastChatProtocol
import NIOCore

/// No frame arrived within the time allowed.
struct FrameTimeout: Error {}

extension NIOAsyncChannelInboundStream<Frame> {
    /// The first frame, or nil if the peer closed the connection first. Throws `FrameTimeout` when `timeout`
    /// passes first, and whatever the frame codec threw for a frame it refused.
    func firstFrame(within timeout: Duration) async throws -> Frame? {
        try await withThrowingTaskGroup(of: Frame?.self) { group in
            group.addTask {
                var frames = self.makeAsyncIterator()
                return try await frames.next()
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw FrameTimeout()
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}
