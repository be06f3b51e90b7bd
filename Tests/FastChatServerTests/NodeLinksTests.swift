import FastChatProtocol
@testable import FastChatServer
import FastChatStore
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Testing

/// Node links over real loopback TCP, to a listener that records what a peer node would read.
@Suite(.timeLimit(.minutes(10))) struct NodeLinksTests {
    /// A forward to a node with no link yet dials nothing (a dial can wait seconds, and the commit stage reporting
    /// the batch would wait with it): its recipients are remembered. A node that stops hands over what it owes:
    /// it dials, and the first frame after the hello asks the peer to replay to them; forwards then take the link.
    @Test func aForwardWithNoLinkDialsNothingAndTheHandOverAsksForTheReplay() async throws {
        let links = NodeLinks(
            localName: "here", tls: nil, keepAlive: .seconds(60), maxFrameBytes: Wire.defaultMaxFrameBytes,
            metrics: NodeMetrics(factory: NOOPMetricsHandler.instance), logger: Logger(label: "test"))
        try await withRecordingPeer { peer, events in
            var forward = Fastchat_V1_Forward()
            forward.entries = [.with { $0.recipient = "bob"; $0.seq = 7 }]
            #expect(await links.forward(forward, to: "peer") == false)

            let record = NodeRecord(
                name: "peer", address: "127.0.0.1:\(peer)", pid: 1, connections: 1, startedAt: Date(), heartbeatAt: Date())
            await links.handOver(liveNodes: [record])
            var seen: [PeerEvent] = []
            var iterator = events.makeAsyncIterator()
            while seen.count < 3, let event = await iterator.next() { seen.append(event) }
            // Had the forward dialed, its link would have carried the entry, and the hand-over would have had no
            // reason to dial.
            #expect(seen.count == 3)
            #expect(seen.first == .accepted)
            guard seen.count == 3, case .frame(let hello) = seen[1], case .frame(let first) = seen[2] else { return }
            #expect(hello.body.map { if case .nodeHello = $0 { true } else { false } } == true)
            guard case .forward(let replay) = first.body else {
                Issue.record("The first frame after the hello is \(String(describing: first.body)), not a Forward")
                return
            }
            #expect(replay.resync == ["bob"])
            #expect(replay.entries.isEmpty)

            // Linked now: a forward goes straight over the link, after the replay request.
            var next = Fastchat_V1_Forward()
            next.entries = [.with { $0.recipient = "carol"; $0.seq = 8 }]
            #expect(await links.forward(next, to: "peer"))
            guard case .frame(let sent) = await iterator.next(), case .forward(let carried) = sent.body else {
                Issue.record("The forward did not reach the linked peer")
                return
            }
            #expect(carried.entries.map(\.recipient) == ["carol"])
            await links.closeAll()
        }
    }
}
