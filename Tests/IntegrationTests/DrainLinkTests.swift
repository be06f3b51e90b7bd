import FastChatClient
import FastChatProtocol
import FastChatServer
import Foundation
import Testing

/// A draining node stops only once the other nodes have closed their links to it, and until then routes on what
/// they forward: a peer that looked a user up a moment before the user left may still send their message there.
/// In-process nodes on one SQLite store. The link from "na" is the test's own (na's name and certificate), so the
/// test decides when it closes.
@Suite(.timeLimit(.minutes(10))) struct DrainLinkTests {
    @Test func aDrainingNodeRoutesOnWhatItsPeersForwardUntilTheyCloseTheirLinks() async throws {
        let settings: (inout ServerConfiguration) -> Void = {
            $0.heartbeatInterval = .milliseconds(100)
            // Nobody is taken for dead however late a starved heartbeat is, and the drain waits as long as it must.
            $0.deadAfter = .seconds(3600)
            $0.drainTimeout = .seconds(3600)
        }
        try await withNode(configure: { settings(&$0); $0.nodeName = "na" }) { a in
            try await withNode(sharing: a, configure: { settings(&$0); $0.nodeName = "nb" }) { b in
                let bob = try await a.user("bob")
                #expect(try await bob.pendingMessages().isEmpty)
                let hello = Frame(.nodeHello(.with { $0.protocolVersion = Wire.nodeLinkVersion; $0.nodeName = "na" }))
                let link = try await RawConnection.open(b.endpoint, context: try a.tls.identity("na").makeLinkContext())
                try await link.writing { write in
                    /// Forwards an entry for bob (who is on na) to nb; returns who bob's client says it was from.
                    func forwardToBob(seq: UInt64) async throws -> String {
                        var item = Fastchat_V1_MailboxItem()
                        item.envelope.sender = "mallory"
                        let forward = Fastchat_V1_Forward.with {
                            $0.entries = [
                                .with {
                                    $0.recipient = "bob"; $0.seq = seq; $0.sender = "mallory"
                                    $0.messageID = UUID().bytes
                                    $0.item = try! item.serializedData()
                                    $0.storedAtMs = Int64(Date().timeIntervalSince1970 * 1000)
                                },
                            ]
                        }
                        try await write(try framed(Frame(.forward(forward))))
                        return try await within(patience, "bob gets what was forwarded to nb") {
                            try await bob.next { event -> String? in
                                if case .rejected(let from, _) = event { from } else { nil }
                            }
                        }
                    }
                    try await write(try framed(hello))
                    // nb has taken the link up (on a busy machine that can take a while) before it is drained.
                    #expect(try await forwardToBob(seq: 1) == "mallory", "nb routes on what its link carries")
                    #expect(try await a.store.drainNode("nb"))
                    let drained = await poll(until: .now + patience) {
                        b.logTail.text.contains("Drained: every client has moved")
                    }
                    #expect(drained, "nb, which has no client, has drained")

                    // What a peer sends now, for a user who is on another node, still reaches them.
                    #expect(try await forwardToBob(seq: 2) == "mallory", "nb routed the entry on to bob's node")
                    #expect(try await a.store.nodes().contains { $0.name == "nb" }, "nb waits while a link is open")
                }
                try await within(patience, "nb stops once the last link has closed") { await b.stopped() }
                #expect(try await !a.store.nodes().contains { $0.name == "nb" }, "nb left the registry")
                #expect(b.logTail.text.contains("Other nodes have closed their links"), "\(b.logTail.text)")
            }
        }
    }
}
