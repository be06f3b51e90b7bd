import FastChatClient
import FastChatCrypto
import FastChatProtocol
import FastChatServer
import FastChatTLS
import Foundation
import Testing

/// Bad input of every kind: a clear error, the connection pays, the node and its other clients carry on.
@Suite(.timeLimit(.minutes(10))) struct ProtocolAbuseTests {
    @Test func malformedFrameGetsAnErrorAndAClosedConnection() async throws {
        try await withNode { node in
            let bystander = try await node.user("alice")
            _ = try await node.user("bob")
            let garbage: [UInt8] = [0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x12]
            let result = try await RawConnection.open(node.endpoint, tls: node.clientTLS).exchange([lengthPrefix(garbage.count) + garbage])
            #expect(result.closed)
            #expect(result.frames.map(errorCode) == [.badRequest])
            try await bystander.send("still working", to: "bob")
        }
    }

    @Test func oversizeFrameIsRefusedBeforeItIsBuffered() async throws {
        try await withNode { node in
            let bystander = try await node.user("alice")
            _ = try await node.user("bob")
            // Only the length is sent: the node must not wait for (or buffer) the announced 2 GiB.
            let result = try await RawConnection.open(node.endpoint, tls: node.clientTLS).exchange([try framed(hello()) + lengthPrefix(Int(Int32.max))])
            #expect(result.closed)
            #expect(result.frames.compactMap(errorCode) == [.frameTooLarge])
            try await bystander.send("still working", to: "bob")
        }
    }

    @Test func firstFrameMustBeHello() async throws {
        try await withNode { node in
            let result = try await RawConnection.open(node.endpoint, tls: node.clientTLS).exchange([try framed(Frame(requestID: 1, .signOut(.init())))])
            #expect(result.closed)
            #expect(result.frames.map(errorCode) == [.badRequest])
        }
    }

    @Test func unknownProtocolVersionIsRefused() async throws {
        try await withNode { node in
            let result = try await RawConnection.open(node.endpoint, tls: node.clientTLS).exchange([try framed(hello(version: 99))])
            #expect(result.closed)
            #expect(result.frames.map(errorCode) == [.unsupportedVersion])
        }
    }

    @Test func requestsBeforeSignInAndUnknownMessagesAreAnswered() async throws {
        try await withNode { node in
            var getUser = Fastchat_V1_GetUser()
            getUser.username = "alice"
            var ack = Fastchat_V1_Ack()
            ack.seqs = [1]
            let frames = [
                hello(),
                Frame(requestID: 2, .getUser(getUser)),
                Frame(requestID: 3, .ack(ack)),
                Frame(requestID: 4, .deliver(.init())),  // server-to-client message
                Frame.with { $0.requestID = 5 },  // no body (or one from a newer protocol)
                hello(),
            ]
            let result = try await RawConnection.open(node.endpoint, tls: node.clientTLS)
                .exchange([try frames.flatMap(framed)], stopAfter: frames.count)
            #expect(!result.closed)
            #expect(result.frames.map(\.requestID) == [1, 2, 3, 4, 5, 1])
            #expect(result.frames.map(errorCode) == [nil, .notSignedIn, .notSignedIn, .badRequest, .badRequest, .badRequest])
        }
    }

    /// Only a live registered node may open a node link (and so push deliveries into this node's sessions).
    @Test func forgedNodeLinkIsRefused() async throws {
        try await withNode { node in
            let bob = try await node.user("bob")
            let forged = Frame(.nodeHello(.with { $0.protocolVersion = Wire.nodeLinkVersion; $0.nodeName = "intruder" }))
            var forward = Fastchat_V1_Forward()
            forward.entries = [.with { $0.recipient = "bob"; $0.seq = 999; $0.sender = "alice"; $0.messageID = UUID().bytes }]
            let result = try await RawConnection.open(node.endpoint, tls: node.clientTLS)
                .exchange([try framed(forged) + (try framed(Frame(.forward(forward))))])
            #expect(result.closed)
            #expect(result.frames.map(errorCode) == [.badRequest])
            // Nothing reached bob: the first thing he gets is the note he sends himself afterwards.
            #expect(try await bob.firstArrivalAfterANoteToSelf() == "own note")
        }
    }

    /// A node link may only forward what a node could have stored: a seq beyond the store's range, or a stored-at
    /// time no clock shows (found by the FuzzNode fuzz target), is dropped, and the node (which used to trap on
    /// both) goes on serving.
    @Test func forwardedEntryWithAnImpossibleSeqOrTimeIsDropped() async throws {
        try await withPeerLink { bob, forwardFromPeer in
            var marker = Fastchat_V1_MailboxItem()
            marker.envelope.sender = "mallory"
            var fromAlice = marker
            fromAlice.envelope.sender = "alice"
            var forward = Fastchat_V1_Forward()
            forward.entries = [
                .with { $0.recipient = "bob"; $0.seq = UInt64(Int64.max) + 1; $0.sender = "alice"; $0.messageID = UUID().bytes },
                .with { $0.recipient = "bob"; $0.seq = .max; $0.sender = "alice"; $0.messageID = UUID().bytes },
            ]
            for storedAt in [Int64.max, .min] {
                forward.entries.append(.with {
                    $0.recipient = "bob"; $0.seq = 2; $0.sender = "alice"; $0.messageID = UUID().bytes
                    $0.item = try! fromAlice.serializedData(); $0.storedAtMs = storedAt
                })
            }
            forward.entries += [
                // In range, but nothing bob can open: it arrives (as a rejected message) after the ones above
                // were handled, so the test knows they were.
                .with {
                    $0.recipient = "bob"; $0.seq = 1; $0.sender = "mallory"; $0.messageID = UUID().bytes
                    $0.item = try! marker.serializedData()
                },
            ]
            let first = try await forwardFromPeer(forward) {
                try await bob.next { event -> String? in
                    switch event {
                    case .message: "a message"
                    case .rejected(let from, _): "rejected from \(from)"
                    default: nil
                    }
                }
            }
            #expect(first == "rejected from mallory", "only the in-range entry was pushed")
        }
    }

    /// Found by FuzzNode: a forwarded entry stamped centuries ago, pushed to a signed-in recipient, trapped the
    /// node when it recorded the push latency (over 292 years in nanoseconds is beyond Int64).
    @Test func aLivePushOfAnEntryStampedCenturiesAgoIsDelivered() async throws {
        try await withPeerLink { bob, forwardFromPeer in
            var item = Fastchat_V1_MailboxItem()
            item.envelope.sender = "mallory"
            var forward = Fastchat_V1_Forward()
            forward.entries = [
                .with {
                    $0.recipient = "bob"; $0.seq = 1; $0.sender = "mallory"; $0.messageID = UUID().bytes
                    $0.item = try! item.serializedData()
                    $0.storedAtMs = -30_610_224_000_000  // 1000-01-01: in range, a thousand years ago
                },
            ]
            let pushed = try await forwardFromPeer(forward) {
                try await bob.next { event -> String? in
                    if case .rejected(let from, _) = event { "rejected from \(from)" } else { nil }
                }
            }
            #expect(pushed == "rejected from mallory", "the entry was pushed")
        }
    }

    /// Runs `body` with bob signed in on a node that accepts links from a second node, t2; `body` forwards through
    /// a link from t2 (the closure's second argument sends a `Forward`, then runs its body while the link is open).
    /// Afterwards the node must still serve: bob's message to himself arrives.
    private func withPeerLink(
        _ body: (ChatClient, (Fastchat_V1_Forward, () async throws -> String?) async throws -> String?) async throws -> Void
    ) async throws {
        // The link is accepted only while t2 counts as alive: never taken for dead here, however late its beat.
        let patientBeats: (inout ServerConfiguration) -> Void = { $0.deadAfter = .seconds(3600) }
        try await withNode(configure: patientBeats) { node in
            try await withNode(sharing: node, configure: { patientBeats(&$0); $0.nodeName = "t2" }) { _ in
                let bob = try await node.user("bob")
                #expect(try await bob.pendingMessages().isEmpty)
                // A live registered node's name and its certificate: a link the node accepts.
                let link = Frame(.nodeHello(.with { $0.protocolVersion = Wire.nodeLinkVersion; $0.nodeName = "t2" }))
                let linkContext = try node.tls.identity("t2").makeLinkContext()
                try await body(bob) { forward, whileOpen in
                    try await RawConnection.open(node.endpoint, context: linkContext).send(
                        [try framed(link) + (try framed(Frame(.forward(forward))))], whileOpen: whileOpen)
                }
                let id = try await bob.send("to myself", to: "bob")
                #expect(try await bob.nextMessage().id == id)
            }
        }
    }

    @Test func badSignUpFieldsAreRefused() async throws {
        try await withNode { node in
            let secrets = try AccountSecrets.derive(password: "pw", username: "eve", parameters: .fast)
            let (connection, _) = try await FrameConnection.open(to: node.endpoint, tls: node.clientTLS, answerTimeout: patience)
            var signUp = Fastchat_V1_SignUp()
            signUp.username = "eve"
            signUp.kdf = .with { $0.log2N = 10; $0.r = 8; $0.p = 1 }
            signUp.identity = WirePublicIdentity(Identity.generate().publicIdentity)
            signUp.keyBackup = Data(repeating: 3, count: 64)
            signUp.loginKey = secrets.loginKey.publicKey
            /// Each attempt on a fresh challenge, signed, with `change` applied after signing.
            func attempt(_ change: (inout Fastchat_V1_SignUp) -> Void) async throws -> ErrorCode? {
                var request = signUp
                let challenge = try await connection.challenge()
                request.signature = try await connection.proof(.signUp, subject: "eve", key: secrets.loginKey, challenge: challenge)
                change(&request)
                return try await code { _ = try await connection.request(.signUp(request)) }
            }
            #expect(try await attempt { $0.loginKey = Data(repeating: 1, count: 5) } == .badRequest)
            #expect(try await attempt { $0.kdf.log2N = 40 } == .badRequest)
            #expect(try await attempt { $0.identity.signingKey = Data(repeating: 2, count: 7) } == .badRequest)
            #expect(try await attempt { $0.signature[0] ^= 1 } == .badRequest)
            // Without a challenge first, even a well-formed sign-up is refused.
            #expect(try await code { _ = try await connection.request(.signUp(signUp)) } == .badRequest)
            await connection.close()
            // Nothing was created.
            #expect(try await code { try await node.client().signIn(username: "eve", password: "x") } == .noSuchUser)
        }
    }
}

func errorCode(_ frame: Frame) -> ErrorCode? {
    if case .error(let error) = frame.body { return error.code }
    return nil
}
