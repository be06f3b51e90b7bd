import FastChatClient
import FastChatProtocol
import FastChatServer
import FastChatTLS
import Foundation
import Testing

/// Node links are mutual TLS: a peer proves it is a registered node with the certificate the cluster CA issued to
/// that name, wherever it connects from.
@Suite(.timeLimit(.minutes(10))) struct NodeLinkTLSTests {
    /// The link is accepted only while t2 counts as alive: never taken for dead here, however late its beat.
    static func patientBeats(_ configuration: inout ServerConfiguration) { configuration.deadAfter = .seconds(3600) }

    /// A live node's name is not enough: without that node's certificate (none, or one of another CA), the link is
    /// refused, nothing it forwards reaches a user, and the refusals are logged once, not once per attempt.
    @Test func aLiveNodesNameWithoutItsCertificateIsRefused() async throws {
        try await withNode(configure: { Self.patientBeats(&$0) }) { node in
            try await withNode(sharing: node, configure: { Self.patientBeats(&$0); $0.nodeName = "t2" }) { _ in
                let bob = try await node.user("bob")
                #expect(try await bob.pendingMessages().isEmpty)
                let link = Frame(.nodeHello(.with { $0.protocolVersion = Wire.nodeLinkVersion; $0.nodeName = "t2" }))
                var forward = Fastchat_V1_Forward()
                forward.entries = [
                    .with { $0.recipient = "bob"; $0.seq = 999; $0.sender = "alice"; $0.messageID = UUID().bytes }
                ]
                let bytes = [try framed(link) + (try framed(Frame(.forward(forward))))]
                for _ in 0..<3 {
                    let result = try await RawConnection.open(node.endpoint, tls: node.clientTLS).exchange(bytes)
                    #expect(result.closed)
                    #expect(result.frames.map(errorCode) == [.badRequest])
                }
                // A certificate named t2 from another cluster's CA does not even get through the handshake.
                let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("other-ca-\(UUID())")
                defer { try? FileManager.default.removeItem(at: elsewhere) }
                let impostor = try TestTLS(path: elsewhere.path).identity("t2").makeLinkContext()
                let refused = try? await RawConnection.open(node.endpoint, context: impostor).exchange(bytes)
                #expect(refused?.frames.isEmpty ?? true)

                #expect(try await bob.firstArrivalAfterANoteToSelf() == "own note")
                let refusals = node.logTail.text.components(separatedBy: "\n").filter {
                    $0.contains("Refused a node link claiming to be t2")
                }
                #expect(refusals.count == 1, "logged once: \(refusals)")
            }
        }
    }

    /// Nodes that register a host name (not an address) link to each other and deliver: their certificates name
    /// what they registered, and no source address is compared.
    @Test func nodesRegisteredByHostNameLinkAndDeliver() async throws {
        let byName: (inout ServerConfiguration) -> Void = { Self.patientBeats(&$0); $0.host = "localhost" }
        try await withNode(configure: byName) { node in
            try await withNode(sharing: node, configure: { byName(&$0); $0.nodeName = "t2" }) { peer in
                let alice = try await node.user("alice")
                let bob = try await peer.user("bob")
                #expect(try await bob.pendingMessages().isEmpty)
                let id = try await alice.send("over a linked pair", to: "bob")
                let message = try await bob.nextMessage()
                #expect(message.id == id)
                #expect(message.text == "over a linked pair")
                #expect(node.logTail.text.contains("Linked to node t2") || peer.logTail.text.contains("Linked to node t1"))
            }
        }
    }
}
