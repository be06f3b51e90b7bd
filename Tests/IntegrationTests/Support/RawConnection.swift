import FastChatClient
import FastChatProtocol
import FastChatTLS
import NIOCore
import NIOPosix
import NIOSSL

/// A TLS connection without the frame codec, for sending what a well-behaved client never would.
struct RawConnection {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Verifies the server as a client does (`tls` nil: plaintext, for a `--no-tls` server).
    static func open(_ endpoint: Endpoint, tls: ClientTLS?) async throws -> RawConnection {
        try await open(endpoint) { channel in
            _ = try tls?.addHandler(to: channel, host: endpoint.host, port: endpoint.port)
        }
    }

    /// Speaks TLS with `context` (a client certificate, say, as node links present).
    static func open(_ endpoint: Endpoint, context: NIOSSLContext) async throws -> RawConnection {
        try await open(endpoint) { channel in
            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
        }
    }

    private static func open(
        _ endpoint: Endpoint, transport: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try transport(channel)
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel)
    }

    /// Writes `chunks`, runs `body` while the connection stays open (a peer that closes at once may be closed by
    /// the server before it has read what was sent), then closes it.
    func send<T>(_ chunks: [[UInt8]], whileOpen body: () async throws -> T) async throws -> T {
        try await channel.executeThenClose { _, outbound in
            for chunk in chunks {
                try await outbound.write(ByteBuffer(bytes: chunk))
            }
            return try await body()
        }
    }

    /// Runs `body` with a way to write to the connection (whenever `body` chooses), then closes it.
    func writing<T>(_ body: (_ write: ([UInt8]) async throws -> Void) async throws -> T) async throws -> T {
        try await channel.executeThenClose { _, outbound in
            try await body { bytes in try await outbound.write(ByteBuffer(bytes: bytes)) }
        }
    }

    /// Writes `chunks`, then reads until the server closes the connection; returns the frames it sent.
    func exchange(_ chunks: [[UInt8]], stopAfter frameCount: Int = .max) async throws -> (frames: [Frame], closed: Bool) {
        try await channel.executeThenClose { inbound, outbound in
            for chunk in chunks {
                try await outbound.write(ByteBuffer(bytes: chunk))
            }
            var received = ByteBuffer()
            var frames: [Frame] = []
            for try await var buffer in inbound {
                received.writeBuffer(&buffer)
                while let length = received.getInteger(at: received.readerIndex, as: UInt32.self),
                    received.readableBytes >= 4 + Int(length)
                {
                    received.moveReaderIndex(forwardBy: 4)
                    let bytes = received.readBytes(length: Int(length))!
                    frames.append(try Frame(serializedBytes: bytes))
                }
                if frames.count >= frameCount { return (frames, false) }
            }
            return (frames, true)
        }
    }
}

func framed(_ frame: Frame) throws -> [UInt8] {
    let body: [UInt8] = try frame.serializedBytes()
    return lengthPrefix(body.count) + body
}

func lengthPrefix(_ length: Int) -> [UInt8] {
    withUnsafeBytes(of: UInt32(length).bigEndian) { Array($0) }
}

func hello(version: UInt32 = Wire.protocolVersion) -> Frame {
    var hello = Fastchat_V1_Hello()
    hello.protocolVersion = version
    return Frame(requestID: 1, .hello(hello))
}
