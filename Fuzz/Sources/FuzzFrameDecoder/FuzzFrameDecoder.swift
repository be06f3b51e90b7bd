import FastChatProtocol
import FuzzSupport
import NIOCore
import NIOEmbedded

/// Target (a): arbitrary bytes through the node's and the client's inbound pipeline (length-prefixed framing with
/// the configured limit, then `Frame` parsing), delivered in chunks the input chooses, as TCP may split them.
/// Every frame that comes out must serialize and parse back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrameDecoder(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    // A small limit now and then, so the refusal of oversize frames is reached by short inputs too.
    let limit = input.byte() < 64 ? Int(input.byte()) : Wire.defaultMaxFrameBytes
    let chunkSize = Int(input.byte()) + 1
    let bytes = input.rest()

    let channel = EmbeddedChannel()
    do {
        try channel.pipeline.syncOperations.addFrameCodec(maxFrameBytes: limit)
    } catch {
        fatalError("The frame codec could not be added: \(error)")
    }
    var offset = 0
    while offset < bytes.count, channel.isActive {
        let end = min(bytes.count, offset + chunkSize)
        do {
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes[offset..<end]))
        } catch {
            break  // refused: the codec answered with an Error frame and closes
        }
        offset = end
    }
    while let frame = try? channel.readInbound(as: Frame.self) {
        checkRoundTrip(frame)
    }
    // Whatever the codec wrote back (its Error frame) must be a well-formed frame within the default limit.
    while let reply = try? channel.readOutbound(as: ByteBuffer.self) {
        precondition(reply.readableBytes <= Wire.defaultMaxFrameBytes + 4)
    }
    _ = try? channel.finish()

    // The same bytes as one frame body, as `Frame(serializedBytes:)` sees them.
    if let frame = try? Frame(serializedBytes: bytes) {
        checkRoundTrip(frame)
    }
    return 0
}

private func checkRoundTrip(_ frame: Frame) {
    guard let encoded: [UInt8] = try? frame.serializedBytes(), let decoded = try? Frame(serializedBytes: encoded),
        decoded == frame
    else {
        fatalError("A parsed frame does not survive a round trip: \(frame)")
    }
}

@_cdecl("FuzzFrameDecoder_main")
public func fuzzFrameDecoderMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { start, count in
        start.map { fuzzFrameDecoder(UnsafeRawPointer($0), count) } ?? 0
    }
}
