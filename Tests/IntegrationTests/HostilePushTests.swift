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
}

private let alice = Identity.generate()

/// Runs `body` with a client signed in as `me` to a scripted node that knows alice; stops both afterwards.
private func withScriptedNode(_ body: (ScriptedNode, ChatClient) async throws -> Void) async throws {
    let node = try await ScriptedNode.start(peers: ["alice": alice.publicIdentity])
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
