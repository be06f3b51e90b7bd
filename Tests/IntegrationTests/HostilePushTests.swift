import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation
import Testing

/// Regression tests for what the client fuzz target (Fuzz/, FuzzClientPushes) found: pushes that trapped the client.
/// Each crashing input is kept in Fuzz/Corpus/FuzzClientPushes/ as crash-*.
@Suite(.timeLimit(.minutes(10))) struct HostilePushTests {
    @Test func syncedCountBeyondIntIsClampedAndLaterMessagesArrive() async throws {
        try await withScriptedNode { node, client in
            try node.push([Frame(requestID: 0, .synced(.with { $0.pendingDelivered = .max }))])
            let pending = try await client.next { event -> Int? in
                if case .synced(let pending) = event { return pending }
                return nil
            }
            #expect(pending == .max)
            try node.push([try node.sealed(.with { $0.text = "still here" }, seq: 1)])
            #expect(try await client.nextMessage().text == "still here")
        }
    }

    /// Protocol version 2 pushes stored items the node never parsed: one that does not parse, or holds neither an
    /// envelope nor a notice, is rejected and acknowledged (as a Deliver with neither is), and the entries after it in
    /// the same frame still arrive, in order.
    @Test func unreadableItemsInDeliveriesAreRejectedAndAcknowledged() async throws {
        try await withScriptedNode { node, client in
            let sealed = try node.sealed(.with { $0.text = "after them" }, seq: 3)
            guard case .deliver(let deliver) = sealed.body else { throw ProtocolError(.internal, "not a Deliver") }
            let item = try Fastchat_V1_MailboxItem.with { $0.envelope = deliver.envelope }.serializedData()
            try node.push([Frame(requestID: 0, .deliveries(.with {
                $0.entries = [
                    .with { $0.seq = 1; $0.item = Data([0xFF, 0xFF, 0xFF]) },
                    .with { $0.seq = 2; $0.item = Data() },
                    .with { $0.seq = 3; $0.item = item; $0.storedAtMs = .min },
                ]
            }))])
            for _ in 0..<2 {
                let reason = try await client.next { event -> String? in
                    if case .rejected(_, let reason) = event { return reason }
                    if case .message(let message) = event { return "delivered \(message.text)" }
                    return nil
                }
                #expect(reason == "the mailbox item is unreadable")
            }
            #expect(try await client.nextMessage().text == "after them")
            #expect(node.acked == [1, 2, 3])
        }
    }

    /// A node from before the client's protocol version refuses its Hello: the client says Hello again, one version
    /// lower each time, until the node takes it, and gets its messages.
    @Test(arguments: [1, 2] as [UInt32])
    func aClientStepsDownToTheVersionAnOlderNodeSpeaks(_ version: UInt32) async throws {
        try await withScriptedNode(protocolVersion: version) { node, client in
            #expect(node.hellos == Array((version...Wire.protocolVersion).reversed()))
            try node.push([try node.sealed(.with { $0.text = "old node" }, seq: 1)])
            #expect(try await client.nextMessage().text == "old node")
        }
    }
}

private let alice = Identity.generate()

/// Runs `body` with a client signed in as `me` to a scripted node that knows alice; stops both afterwards.
private func withScriptedNode(
    protocolVersion: UInt32 = Wire.protocolVersion, _ body: (ScriptedNode, ChatClient) async throws -> Void
) async throws {
    let node = try await ScriptedNode.start(peers: ["alice": alice.publicIdentity], protocolVersion: protocolVersion)
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("fastchat-scripted-\(UUID().uuidString)")
    defer {
        node.stop()
        try? FileManager.default.removeItem(at: home)
    }
    let client = ChatClient(
        options: .init(
            // The scripted node speaks plaintext: what it pushes is the point, not the transport.
            endpoint: Endpoint(host: "127.0.0.1", port: node.port), tls: nil, home: home, kdf: .fast,
            logger: NodeHarness.logger, answerTimeout: patience))
    try await client.signIn(username: "me", password: ScriptedNode.password)
    try await body(node, client)
    await client.signOut()
}

extension ScriptedNode {
    /// A message from alice to me, sealed and signed for real, whose sealed content is `content` addressed.
    func sealed(_ content: MessageContent, seq: UInt64) throws -> Frame {
        let id = UUID()
        var content = content
        content.sender = "alice"
        content.recipient = "me"
        content.messageID = id.bytes
        let sealed = try EnvelopeCrypto.seal(
            try content.serializedData(), messageID: id, sender: "alice", senderIdentity: alice, recipient: "me",
            recipientKey: me.publicIdentity)
        return Frame(requestID: 0, .deliver(.with {
            $0.seq = seq
            $0.envelope = Envelope(sealed)
        }))
    }
}
