import FastChatProtocol
import Foundation
import FuzzSupport

/// Target (c): a real `ChatClient`'s handling of everything a node pushes. Each input is a sequence of pushed
/// frames — deliveries of validly sealed messages whose opened content the input writes (image references and
/// their blobs included), deliveries of arbitrary envelopes and group notices, version-2 `Deliveries` of such items
/// or of bytes that do not parse, receipts (one at a time and version-4 batches), version-5 `AcceptedSends`, `Synced`,
/// errors, frames parsed from raw bytes, with any request id — followed by a `Synced` barrier: once the client reports
/// it, it has handled all of them. The barrier is awaited a few inputs later (`ClientFixture.synced`), so round trips
/// overlap.
private let fixture: ClientFixture = {
    switch blocking({ try await ClientFixture.make() }) {
    case .success(let fixture): return fixture
    case .failure(let error): fatalError("The fuzz client could not start: \(error)")
    }
}()

private let maxPushesPerInput = 8
private var inputs = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientPushes(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let fixture = fixture
    inputs += 1
    if inputs % 1000 == 0 { fixture.clearDownloads() }
    var input = FuzzInput(start, count)
    let acknowledging = input.bool()
    var frames: [Frame] = []
    var blobs: [Data: [Data]] = [:]
    while !input.isEmpty, frames.count < maxPushesPerInput {
        let seq = input.interesting()
        let body: Frame.OneOf_Body?
        switch input.byte() % 9 {
        case 0, 1, 2:
            body = fixture.sealedDeliver(&input, seq: seq, blobs: &blobs)
        case 3:
            body = .deliver(.with {
                $0.seq = seq
                $0.envelope = FuzzFrames.envelope(&input, fixture.vocabulary)
            })
        case 4:
            body = .deliver(.with {
                $0.seq = seq
                $0.notice = FuzzFrames.notice(&input, fixture.vocabulary)
            })
        case 5:
            // One `Receipt`, or a version-4 `Receipts` of a few (none included).
            var receipts: [Fastchat_V1_Receipt] = []
            let batched = input.bool()
            for _ in 0..<(batched ? Int(input.byte() % 4) : 1) {
                receipts.append(.with {
                    $0.messageID = input.id(from: fixture.vocabulary.ids)
                    $0.recipient = input.name(from: fixture.vocabulary.names)
                })
            }
            body = batched ? .receipts(.with { $0.receipts = receipts }) : .receipt(receipts[0])
        case 6:
            switch input.byte() % 3 {
            case 0:
                body = .synced(.with { $0.pendingDelivered = input.interesting() })
            case 1:
                body = .error(.with {
                    $0.code = ErrorCode(rawValue: Int(input.byte())) ?? .internal
                    $0.message = input.string()
                    $0.retryAfterSeconds = UInt32(truncatingIfNeeded: input.interesting())
                })
            default:
                // Version 5: answers to sends, whatever request ids they name (none of them may be in flight).
                body = .acceptedSends(.with { batch in
                    batch.sends = (0..<Int(input.byte() % 4)).map { _ in
                        .with {
                            $0.requestID = input.interesting()
                            $0.messageID = input.id(from: fixture.vocabulary.ids)
                        }
                    }
                })
            }
        case 7:
            body = FuzzFrames.raw(&input)
        default:
            body = fixture.deliveries(&input, seq: seq, blobs: &blobs)
        }
        // Mostly pushes (request id 0); now and then an answer to a request the client may have in flight.
        let requestID = input.byte() < 240 ? 0 : input.integer(width: 1)
        if let body { frames.append(Frame(requestID: requestID, body)) }
    }
    // Above any count a real node reports, and within Int: a marker the inputs' own Synced frames do not reach.
    let marker = 1 << 50 + inputs
    frames.append(Frame(requestID: 0, .synced(.with { $0.pendingDelivered = UInt64(marker) })))
    fixture.node.serve(blobs)
    let result = blocking {
        try fixture.node.push(frames)
        try await fixture.synced(marker, acknowledging: acknowledging)
    }
    if case .failure(let error) = result {
        fatalError("The client fixture failed: \(error)")
    }
    return 0
}

@_cdecl("FuzzClientPushes_main")
public func fuzzClientPushesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { start, count in
        start.map { fuzzClientPushes(UnsafeRawPointer($0), count) } ?? 0
    }
}
