import FastChatProtocol
import Foundation
import NIOCore
import NIOEmbedded
import Testing

/// The wire framing of DESIGN.md §4, driven through an `EmbeddedChannel` with the pipeline a node and a client use
/// (`addFrameCodec(maxFrameBytes:)`): 4-byte big-endian length + one protobuf `Frame`, a hard maximum, and an
/// `Error` frame followed by a close for anything the codec refuses.
///
/// The tests are synchronous: `EmbeddedChannel` must be used from the thread that created it.
@Suite("Frame codec")
struct FrameCodecTests {
    // MARK: Outbound

    @Test("A frame written outbound leaves as a 4-byte big-endian length and its protobuf bytes")
    func outboundFraming() throws {
        let channel = try CodecChannel()
        defer { channel.finish() }
        for frame in sampleFrames {
            try channel.channel.writeOutbound(frame)
            let wire = try channel.drainOutbound()
            let body: [UInt8] = try frame.serializedBytes()
            #expect(wire == lengthPrefix(body.count) + body)
            #expect(try Frame(serializedBytes: Array(wire.dropFirst(4))) == frame)
        }
    }

    @Test("An empty frame is sent as a zero length and nothing else")
    func outboundEmptyFrame() throws {
        let channel = try CodecChannel()
        defer { channel.finish() }
        try channel.channel.writeOutbound(Frame())
        #expect(try channel.drainOutbound() == [0, 0, 0, 0])
    }

    @Test("The length is big-endian even when it needs all four bytes")
    func outboundLargeLength() throws {
        let channel = try CodecChannel(maxFrameBytes: 1 << 20)
        defer { channel.finish() }
        let frame = paddedFrame(serializedSize: 0x0001_0203)
        try channel.channel.writeOutbound(frame)
        let wire = try channel.drainOutbound()
        #expect(Array(wire.prefix(4)) == [0x00, 0x01, 0x02, 0x03])
        #expect(wire.count == 4 + 0x0001_0203)
    }

    // MARK: Inbound

    @Test("Several frames in one buffer decode to the same frames, in order")
    func inboundSeveralFramesInOneBuffer() throws {
        let channel = try CodecChannel()
        defer { channel.finish() }
        let wire = try sampleFrames.flatMap(framed)
        try channel.channel.writeInbound(ByteBuffer(bytes: wire))
        #expect(try channel.drainInbound() == sampleFrames)
        #expect(channel.channel.isActive)
    }

    @Test("The stream split at every byte boundary decodes to the same frames")
    func inboundSplitAtEveryBoundary() throws {
        let wire = try sampleFrames.flatMap(framed)
        for split in 0...wire.count {
            let channel = try CodecChannel()
            defer { channel.finish() }
            try channel.channel.writeInbound(ByteBuffer(bytes: wire[..<split]))
            try channel.channel.writeInbound(ByteBuffer(bytes: wire[split...]))
            let frames = try channel.drainInbound()
            #expect(frames == sampleFrames, "split at byte \(split) of \(wire.count)")
            #expect(channel.channel.isActive, "split at byte \(split)")
        }
    }

    @Test("The stream split at every pair of byte boundaries decodes to the same frames")
    func inboundSplitInThree() throws {
        let small = [sampleFrames[0], sampleFrames[1], sampleFrames[3]]  // the short ones: this is quadratic
        let wire = try small.flatMap(framed)
        for first in 0...wire.count {
            for second in first...wire.count {
                let channel = try CodecChannel()
                defer { channel.finish() }
                try channel.channel.writeInbound(ByteBuffer(bytes: wire[..<first]))
                try channel.channel.writeInbound(ByteBuffer(bytes: wire[first..<second]))
                try channel.channel.writeInbound(ByteBuffer(bytes: wire[second...]))
                let frames = try channel.drainInbound()
                #expect(frames == small, "split at \(first) and \(second)")
            }
        }
    }

    @Test("The stream fed one byte at a time decodes to the same frames, each as soon as its last byte arrives")
    func inboundByteByByte() throws {
        let channel = try CodecChannel()
        defer { channel.finish() }
        var decoded: [Frame] = []
        var expectedEnds: [Int] = []
        var offset = 0
        var wire: [UInt8] = []
        for frame in sampleFrames {
            let bytes = try framed(frame)
            wire += bytes
            offset += bytes.count
            expectedEnds.append(offset)
        }
        var ends: [Int] = []
        for (index, byte) in wire.enumerated() {
            try channel.channel.writeInbound(ByteBuffer(bytes: [byte]))
            let frames = try channel.drainInbound()
            if !frames.isEmpty { ends.append(index + 1) }
            decoded += frames
        }
        #expect(decoded == sampleFrames)
        #expect(ends == expectedEnds)
    }

    @Test("A zero-length frame is a valid, empty Frame")
    func inboundEmptyFrame() throws {
        let channel = try CodecChannel()
        defer { channel.finish() }
        try channel.channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 0]))
        #expect(try channel.drainInbound() == [Frame()])
        #expect(channel.channel.isActive)
    }

    @Test("Outbound frames decode back to themselves through a second codec")
    func roundTripThroughTwoCodecs() throws {
        let sender = try CodecChannel()
        let receiver = try CodecChannel()
        defer {
            sender.finish()
            receiver.finish()
        }
        for frame in sampleFrames {
            try sender.channel.writeOutbound(frame)
        }
        try receiver.channel.writeInbound(ByteBuffer(bytes: try sender.drainOutbound()))
        #expect(try receiver.drainInbound() == sampleFrames)
    }

    // MARK: The maximum

    @Test("A frame of exactly the maximum size is accepted", arguments: [2, 3, 100, 127, 128, 4096])
    func maximumIsAccepted(max: Int) throws {
        let frame = paddedFrame(serializedSize: max)
        let wire = try framed(frame)
        #expect(wire.count == 4 + max)

        let whole = try CodecChannel(maxFrameBytes: max)
        defer { whole.finish() }
        try whole.channel.writeInbound(ByteBuffer(bytes: wire))
        #expect(try whole.drainInbound() == [frame])
        #expect(whole.channel.isActive)
        #expect(try whole.drainOutbound().isEmpty)

        // Also when it arrives in pieces, and followed by the start of the next frame.
        let pieces = try CodecChannel(maxFrameBytes: max)
        defer { pieces.finish() }
        let next = paddedFrame(serializedSize: 2)
        let stream = wire + wire + (try framed(next))
        var decoded: [Frame] = []
        for chunk in stream.chunks(of: 3) {
            try pieces.channel.writeInbound(ByteBuffer(bytes: chunk))
            decoded += try pieces.drainInbound()
        }
        #expect(decoded == [frame, frame, next])
        #expect(pieces.channel.isActive)
    }

    @Test("A frame one byte over the maximum is refused", arguments: [2, 3, 100, 127, 128, 4096])
    func maximumPlusOneIsRefused(max: Int) throws {
        let channel = try CodecChannel(maxFrameBytes: max)
        defer { channel.finish() }
        let wire = try framed(paddedFrame(serializedSize: max + 1))
        let error = try channel.writeInboundExpectingError(ByteBuffer(bytes: wire))
        #expect(error?.code == .frameTooLarge)
        try channel.expectRefused(with: .frameTooLarge)
        #expect(try channel.drainInbound().isEmpty)
    }

    @Test(
        "A declared length above the maximum is refused at once, before any of the body arrives",
        arguments: [UInt32(Wire.defaultMaxFrameBytes + 1), 0x7FFF_FFFF, 0xFFFF_FFFF]
    )
    func oversizeHeaderAlone(declared: UInt32) throws {
        let channel = try CodecChannel()
        defer { channel.finish() }
        let error = try channel.writeInboundExpectingError(ByteBuffer(bytes: lengthPrefix(Int(declared))))
        #expect(error?.code == .frameTooLarge)
        #expect(error?.message.contains("\(declared)") == true)
        try channel.expectRefused(with: .frameTooLarge)
    }

    @Test("An oversize header arriving one byte at a time is refused on its fourth byte")
    func oversizeHeaderByteByByte() throws {
        let channel = try CodecChannel(maxFrameBytes: 64)
        defer { channel.finish() }
        let header = lengthPrefix(65)
        for byte in header.dropLast() {
            try channel.channel.writeInbound(ByteBuffer(bytes: [byte]))
            #expect(channel.channel.isActive)
            #expect(try channel.drainOutbound().isEmpty)
        }
        let error = try channel.writeInboundExpectingError(ByteBuffer(bytes: [header.last!]))
        #expect(error?.code == .frameTooLarge)
        try channel.expectRefused(with: .frameTooLarge)
    }

    @Test("Frames before an oversize one are delivered; nothing after it is")
    func oversizeAfterGoodFrames() throws {
        let channel = try CodecChannel(maxFrameBytes: 64)
        defer { channel.finish() }
        let good = [Frame(requestID: 1, .ok(.init())), Frame(requestID: 2, .ok(.init()))]
        let wire = try good.flatMap(framed) + lengthPrefix(65) + [UInt8](repeating: 0, count: 65)
            + (try framed(Frame(requestID: 3, .ok(.init()))))
        let error = try channel.writeInboundExpectingError(ByteBuffer(bytes: wire))
        #expect(error?.code == .frameTooLarge)
        #expect(try channel.drainInbound() == good)
        try channel.expectRefused(with: .frameTooLarge)
        // Anything that still arrives is ignored.
        _ = try? channel.channel.writeInbound(ByteBuffer(bytes: try framed(Frame(requestID: 4, .ok(.init())))))
        #expect(try channel.drainInbound().isEmpty)
    }

    // MARK: Malformed frames

    @Test(
        "A frame that is not a valid protobuf is answered with BAD_REQUEST and a close",
        arguments: [
            [0x08] as [UInt8],  // field 1 (varint) with the varint missing
            [0x00],  // field number 0
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],  // an endless varint tag
            [0x6A, 0x05, 0x08],  // field 13 (error) declaring 5 bytes but holding 1
            [0x0F],  // wire type 7 does not exist
        ]
    )
    func malformedProtobuf(body: [UInt8]) throws {
        let channel = try CodecChannel()
        defer { channel.finish() }
        let error = try channel.writeInboundExpectingError(ByteBuffer(bytes: lengthPrefix(body.count) + body))
        #expect(error?.code == .badRequest)
        try channel.expectRefused(with: .badRequest)
        #expect(try channel.drainInbound().isEmpty)
    }

    @Test("A malformed frame after good ones: the good ones are delivered, then BAD_REQUEST and a close")
    func malformedAfterGoodFrames() throws {
        let channel = try CodecChannel()
        defer { channel.finish() }
        let good = Frame(requestID: 9, .ok(.init()))
        let wire = try framed(good) + lengthPrefix(1) + [0x08] + (try framed(good))
        let error = try channel.writeInboundExpectingError(ByteBuffer(bytes: wire))
        #expect(error?.code == .badRequest)
        let delivered = try channel.drainInbound()
        #expect(delivered.first == good)
        #expect(delivered == [good], "nothing after the malformed frame is handed on; got \(delivered.count) frames")
        try channel.expectRefused(with: .badRequest)
    }

    // MARK: BoundedLengthFieldDecoder on its own

    @Test("BoundedLengthFieldDecoder hands on the frame bytes without the length")
    func decoderAlone() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(BoundedLengthFieldDecoder(maxFrameBytes: 8)))
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(bytes: lengthPrefix(3) + [1, 2, 3] + lengthPrefix(0) + lengthPrefix(8)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [1, 2, 3]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer())
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        try channel.writeInbound(ByteBuffer(bytes: [UInt8](repeating: 7, count: 8)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [UInt8](repeating: 7, count: 8)))
        #expect(throws: ProtocolError.self) {
            try channel.writeInbound(ByteBuffer(bytes: lengthPrefix(9)))
        }
    }
}

// MARK: - Support

/// An `EmbeddedChannel` with the frame codec installed, "connected" so that it can be closed.
private struct CodecChannel {
    let channel: EmbeddedChannel

    init(maxFrameBytes: Int = Wire.defaultMaxFrameBytes) throws {
        channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addFrameCodec(maxFrameBytes: maxFrameBytes)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7001)).wait()
        #expect(channel.isActive)
    }

    func finish() {
        _ = try? channel.finish()
    }

    /// Everything written to the wire so far, as one byte string.
    func drainOutbound() throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    /// Every frame decoded so far.
    func drainInbound() throws -> [Frame] {
        var frames: [Frame] = []
        while let frame = try channel.readInbound(as: Frame.self) {
            frames.append(frame)
        }
        return frames
    }

    /// Writes `buffer` inbound; returns the `ProtocolError` the codec passed down the pipeline, if any.
    func writeInboundExpectingError(_ buffer: ByteBuffer) throws -> ProtocolError? {
        do {
            try channel.writeInbound(buffer)
        } catch let error as ProtocolError {
            return error
        }
        Issue.record("The codec accepted input it should have refused.")
        return nil
    }

    /// The codec answered with exactly one `Error` frame carrying `code` and a message, and closed the channel.
    func expectRefused(with code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation) throws {
        channel.embeddedEventLoop.run()
        let wire = try drainOutbound()
        guard wire.count >= 4 else {
            Issue.record("No error frame was written (\(wire.count) bytes).", sourceLocation: sourceLocation)
            return
        }
        let length = Int(wire[0]) << 24 | Int(wire[1]) << 16 | Int(wire[2]) << 8 | Int(wire[3])
        #expect(wire.count == 4 + length, "exactly one frame was written", sourceLocation: sourceLocation)
        let frame = try Frame(serializedBytes: Array(wire.dropFirst(4)))
        guard case .error(let error) = frame.body else {
            Issue.record("Expected an Error frame, got \(frame)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.code == code, sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
        #expect(frame.requestID == 0, sourceLocation: sourceLocation)
        #expect(!channel.isActive, "the channel is closed", sourceLocation: sourceLocation)
    }
}

private func lengthPrefix(_ length: Int) -> [UInt8] {
    withUnsafeBytes(of: UInt32(truncatingIfNeeded: length).bigEndian) { Array($0) }
}

private func framed(_ frame: Frame) throws -> [UInt8] {
    let body: [UInt8] = try frame.serializedBytes()
    return lengthPrefix(body.count) + body
}

/// A variety of frames: requests, replies, pushes, Unicode text, bytes, an empty body.
private let sampleFrames: [Frame] = {
    var hello = Fastchat_V1_Hello()
    hello.protocolVersion = Wire.protocolVersion
    hello.clientName = "tests ✓ ünïcödé"
    var envelope = Envelope()
    envelope.version = 1
    envelope.messageID = UUID().bytes
    envelope.sender = "alice"
    envelope.recipient = "bob"
    envelope.ciphertext = Data((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    var send = Fastchat_V1_Send()
    send.envelope = envelope
    var deliver = Fastchat_V1_Deliver()
    deliver.seq = 1 << 40
    deliver.envelope = envelope
    var ack = Fastchat_V1_Ack()
    ack.seqs = [1, 2, 3, UInt64.max]
    return [
        Frame(requestID: 1, .hello(hello)),
        Frame(),
        Frame(requestID: 2, .send(send)),
        Frame.error(.frameTooLarge, "too big"),
        Frame(requestID: UInt64.max, .ack(ack)),
        Frame(requestID: 0, .deliver(deliver)),
    ]
}()

/// A valid frame whose serialization is exactly `size` bytes (size ≥ 2; no frame with content is 1 byte long).
private func paddedFrame(serializedSize size: Int) -> Frame {
    precondition(size >= 2)
    // A request id (absent, or 1–5 varint bytes after its tag) alone or with an Error body whose message is
    // `length` bytes long; varint boundaries make some sizes unreachable with one of these alone.
    for requestID: UInt64 in [0, 1, 1 << 7, 1 << 14, 1 << 21, 1 << 28] {
        var bare = Frame()
        bare.requestID = requestID
        if (try? bare.serializedBytes() as [UInt8])?.count == size { return bare }
        for length in Swift.max(0, size - 16)...size {
            var error = Fastchat_V1_Error()
            error.message = String(repeating: "x", count: length)
            let frame = Frame(requestID: requestID, .error(error))
            if (try? frame.serializedBytes() as [UInt8])?.count == size { return frame }
        }
    }
    fatalError("no frame of \(size) bytes")
}

extension Array {
    fileprivate func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
