import FastChatProtocol
import Foundation
import FuzzSupport

/// Target (b): a real node's request handling. Most inputs are a sequence of requests on the `fuzz` account's
/// signed-in connection (built by `FuzzFrames.request`, or raw frame bytes); one in eight speaks for a registered
/// node on a node link instead and forwards entries and receipts. Each input ends with a request the node answers
/// only after handling the ones before it; that answer is awaited through a `PipelineWindow`.
private let fixture: NodeFixture = {
    switch blocking({ try await NodeFixture.make() }) {
    case .success(let fixture): return fixture
    case .failure(let error): fatalError("The fuzz node could not start: \(error)")
    }
}()

private let maxFramesPerInput = 16
private var inputs: UInt64 = 0
private let window = PipelineWindow()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNode(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let fixture = fixture
    inputs += 1
    var input = FuzzInput(start, count)
    if input.byte() % 8 == 7 {
        var frames = [Frame(requestID: input.integer(width: 1), .nodeHello(.with {
            $0.protocolVersion = input.bool() ? Wire.nodeLinkVersion : UInt32(input.byte())
            $0.nodeName = input.byte() < 240 ? NodeFixture.peerNode : input.string(max: 20)
        }))]
        while !input.isEmpty, frames.count < maxFramesPerInput {
            let body: Frame.OneOf_Body? =
                input.byte() < 224 ? .forward(FuzzFrames.forward(&input, fixture.vocabulary)) : FuzzFrames.raw(&input)
            if let body { frames.append(Frame(requestID: 0, body)) }
        }
        let marker = 1 << 40 + inputs
        let frozen = frames
        _ = blocking {
            await window.add {
                _ = try? await LinkConnection.exchange(frozen, port: fixture.endpoint.port, marker: marker)
            }
        }
        return 0
    }
    var bodies: [Frame.OneOf_Body] = []
    while !input.isEmpty, bodies.count < maxFramesPerInput {
        if let body = FuzzFrames.request(&input, fixture.vocabulary) { bodies.append(body) }
    }
    let frozen = bodies
    _ = blocking {
        let connection = try await fixture.connection()
        for body in frozen {
            await connection.post(body)
        }
        await window.add { _ = try? await connection.request(.getUser(.with { $0.username = "fuzz" })) }
    }
    return 0
}

@_cdecl("FuzzNode_main")
public func fuzzNodeMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { start, count in
        start.map { fuzzNode(UnsafeRawPointer($0), count) } ?? 0
    }
}
