import FastChatProtocol
import NIOCore
import NIOPosix

/// A bare framed TCP connection that says what the input says, for the node-link half of the target (a client
/// connection always begins with Hello, a node link with NodeHello).
enum LinkConnection {
    /// Sends `frames`, then a frame the node must answer with `marker` as its request id, and reads until that
    /// answer or the end of the connection.
    static func exchange(_ frames: [Frame], port: Int, marker: UInt64) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addFrameCodec()
                    return try NIOAsyncChannel<Frame, Frame>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            for frame in frames {
                try await outbound.write(frame)
            }
            // On a node link anything but Forward is answered with an error carrying its request id.
            try await outbound.write(Frame(requestID: marker, .getUser(.init())))
            for try await frame in inbound where frame.requestID == marker {
                break
            }
        }
    }
}
