import FastChatProtocol
@testable import FastChatServer
import FastChatStore
import Foundation
import Testing

/// Routing when presence is stale: a node forwards to where its cache last saw the user, the node there finds them
/// gone, routes the entries and receipts on by the store, and tells the first node, which forgets its answer. Real
/// store, real loopback links.
@Suite(.timeLimit(.minutes(10))) struct StalePresenceTests {
    @Test func aNodeToldThatAUserIsNotThereForgetsWhereItSawThem() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        try await scratch.store.openSession(username: "bob", node: "n1")
        #expect(await services.presence.nodes(of: ["bob"]) == ["bob": "n1"])
        try await scratch.store.closeSession(username: "bob", node: "n1")
        try await scratch.store.openSession(username: "bob", node: "n2")
        #expect(await services.presence.nodes(of: ["bob"]) == ["bob": "n1"], "the answer is kept for a minute")

        // A frame with nothing but the names is handled on the link's loop, with no wait.
        #expect(services.deliverForwardedNow(.with { $0.notHere = ["bob"] }))
        #expect(await services.presence.nodes(of: ["bob"]) == ["bob": "n2"])
    }

    @Test func aForwardForUsersWhoLeftIsAnsweredWithTheirNames() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        try await withLinkedPeer(of: services) { events in
            var forward = Fastchat_V1_Forward()
            forward.entries = [.with {
                $0.recipient = "bob"; $0.seq = 7; $0.sender = "alice"; $0.messageID = UUID().bytes; $0.item = Data("x".utf8)
                $0.storedAtMs = Date().wireMillis
            }]
            forward.receipts = [.with { $0.to = "carol"; $0.receipt = .with { $0.recipient = "dave" } }]
            // Neither is signed in here: the forward needs the store, so not on the loop.
            #expect(!services.deliverForwardedNow(forward))
            await services.deliverForwarded(forward, from: "peer")

            var iterator = events.makeAsyncIterator()
            var frames: [Frame] = []
            while frames.count < 2, let event = await iterator.next() {
                if case .frame(let frame) = event { frames.append(frame) }
            }
            guard frames.count == 2, case .forward(let answer) = frames[1].body else {
                Issue.record("The peer read \(frames)")
                return
            }
            #expect(answer.notHere == ["bob", "carol"])
            #expect(answer.entries.isEmpty && answer.receipts.isEmpty)
        }
    }
}
