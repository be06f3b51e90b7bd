import NIOCore
import SwiftProtobuf

/// Splits the byte stream into length-prefixed frames. The declared length is checked before any of the frame is
/// buffered, so a peer announcing a huge frame is refused at once. (NIOExtras' `LengthFieldBasedFrameDecoder` has no
/// maximum and consumes the header before the body arrives, so it cannot be wrapped to check it.)
public struct BoundedLengthFieldDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    private let maxFrameBytes: Int

    public init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else {
            return .needMoreData
        }
        guard Int(length) <= maxFrameBytes else {
            throw ProtocolError(.frameTooLarge, "A frame of \(length) bytes exceeds the limit of \(maxFrameBytes) bytes.")
        }
        guard let frame = buffer.getSlice(at: buffer.readerIndex + 4, length: Int(length)) else {
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: 4 + Int(length))
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// Turns frame bytes into `Frame` messages and back. A frame that does not parse, or a framing error from below,
/// is answered with an `Error` frame and the connection is closed: the connection pays, never the process.
/// Nothing that arrives after the refused frame is passed on. Confined to its channel's event loop.
public final class FrameCodec: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = Frame
    public typealias OutboundIn = Frame
    public typealias OutboundOut = ByteBuffer

    private var refused = false

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let bytes = unwrapInboundIn(data)
        do {
            let frame = try Frame(serializedBytes: Array(bytes.readableBytesView))
            context.fireChannelRead(wrapInboundOut(frame))
        } catch {
            fail(context: context, ProtocolError(.badRequest, "The frame is not a valid FastChat message."))
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        do {
            context.write(wrapOutboundOut(try Self.encode(unwrapOutboundIn(data), context.channel.allocator)), promise: promise)
        } catch {
            promise?.fail(error)
        }
    }

    /// The frame's length (4 bytes, big-endian) and its protobuf bytes in one buffer. Not NIOExtras'
    /// `LengthFieldPrepender`, which writes the length as a buffer of its own: over TLS every buffer written becomes
    /// a TLS record (its own seal and 22 bytes of overhead), so that would double the records.
    private static func encode(_ frame: Frame, _ allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let body: [UInt8] = try frame.serializedBytes()
        guard let length = UInt32(exactly: body.count) else {
            throw ProtocolError(.frameTooLarge, "A frame of \(body.count) bytes cannot be framed.")
        }
        var buffer = allocator.buffer(capacity: 4 + body.count)
        buffer.writeInteger(length)
        buffer.writeBytes(body)
        return buffer
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case let error as ProtocolError:
            fail(context: context, error)
        case is ByteToMessageDecoderError.PayloadTooLargeError:
            fail(context: context, ProtocolError(.frameTooLarge, "The frame exceeds the maximum frame size."))
        default:
            context.fireErrorCaught(error)
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: ProtocolError) {
        guard !refused else { return }
        refused = true
        guard let bytes = try? Self.encode(Frame.error(error.code, error.message), context.channel.allocator) else {
            context.close(promise: nil)
            return
        }
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(bytes))
            .whenComplete { _ in boundContext.value.close(promise: nil) }
        context.fireErrorCaught(error)
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Adds length-prefixed protobuf framing; inbound frames longer than `maxFrameBytes` are refused. The frames
    /// written in one go (up to a flush) leave as one buffer (`WriteCoalescer`).
    public func addFrameCodec(maxFrameBytes: Int = Wire.defaultMaxFrameBytes) throws {
        try addHandler(WriteCoalescer())
        try addHandler(
            ByteToMessageHandler(
                BoundedLengthFieldDecoder(maxFrameBytes: maxFrameBytes),
                maximumBufferSize: maxFrameBytes + 4
            )
        )
        try addHandler(FrameCodec())
    }
}
