import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation
import Testing

/// What an attacker on the path of a plaintext connection records is worth nothing: a sign-in or a group join
/// signs a challenge the node issued for that connection only, once.
@Suite(.timeLimit(.minutes(10))) struct ReplayTests {
    @Test(arguments: Backend.all)
    func recordedSignInReplayedIsRefused(_ backend: Backend) async throws {
        try await withNode(on: backend, plaintext: true) { node in
            try await node.client().signUp(username: "alice", password: "alice secret")
            let bob = try await node.user("bob")
            try await bob.send("before", to: "alice")

            // alice signs in through the recording proxy, reads and acknowledges her message, signs out.
            let recording = try await RecordingProxy.recording(to: node.endpoint) { proxy in
                let alice = node.client(home: "alice", via: proxy.endpoint)
                try await alice.signIn(username: "alice", password: "alice secret")
                #expect(try await alice.nextMessage().text == "before")
                await alice.signOut()
            }
            let recordings = await recording.connections
            try #require(recordings.count == 1)
            let recorded = try frames(in: recordings[0])
            let signIn = try #require(recorded.first { if case .signIn = $0.body { true } else { false } })
            #expect(recorded.contains { if case .ack = $0.body { true } else { false } })

            // Waiting for alice: a message the replay must not see or acknowledge.
            try await bob.send("after", to: "alice")
            let requests = recorded.filter { $0.requestID != 0 }.count
            let (replies, _) = try await RawConnection.open(node.endpoint, tls: node.clientTLS).exchange([recordings[0]], stopAfter: requests)
            let answer = try #require(replies.first { $0.requestID == signIn.requestID })
            #expect(errorCode(answer) == .incorrectPassword)
            for reply in replies {
                switch reply.body {
                case .signedIn, .deliver, .synced: Issue.record("The replay got \(reply)")
                case .error(let error) where reply.requestID != signIn.requestID:
                    #expect(error.code == .notSignedIn || error.code == .badRequest)
                default: break
                }
            }
            #expect(try await node.store.sessionNode(of: "alice") == nil)

            // alice herself gets in (no session was left open) and finds the message the replay could not ack.
            let again = node.client(home: "alice")
            try await again.signIn(username: "alice", password: "alice secret")
            #expect(try await again.pendingMessages().map(\.text) == ["after"])
        }
    }

    @Test(arguments: Backend.all)
    func recordedGroupJoinReplayedIsRefused(_ backend: Backend) async throws {
        try await withNode(on: backend, plaintext: true) { node in
            let alice = try await node.user("alice")
            try await alice.createGroup("team", password: "team secret")
            try await node.client().signUp(username: "bob", password: "bob secret")
            try await node.client().signUp(username: "mallory", password: "mallory secret")

            let recording = try await RecordingProxy.recording(to: node.endpoint) { proxy in
                let bob = node.client(home: "bob", via: proxy.endpoint)
                try await bob.signIn(username: "bob", password: "bob secret")
                try await bob.joinGroup("team", password: "team secret")
                await bob.signOut()
            }
            let recorded = try frames(in: await recording.connections.joined().map { $0 })
            let join = try #require(recorded.first { if case .joinGroup = $0.body { true } else { false } })

            // mallory, in a session of her own, asks for a fresh challenge and sends bob's recorded join.
            let (connection, _) = try await FrameConnection.open(to: node.endpoint, tls: node.clientTLS, answerTimeout: patience)
            try await connection.signIn("mallory", password: "mallory secret")
            _ = try await connection.challenge(.getGroupAuthParams(.with { $0.name = "team" }))
            #expect(try await code { _ = try await connection.request(join.body!) } == .incorrectGroupPassword)
            // Without asking for a challenge, it is refused before any check.
            #expect(try await code { _ = try await connection.request(join.body!) } == .badRequest)
            await connection.close()
            #expect(try await alice.members(of: "team").map(\.username) == ["alice", "bob"])
        }
    }

    /// A challenge is good for one proof: the second sign-in on it is refused even with a right signature.
    @Test func challengeIsSingleUse() async throws {
        try await withNode(plaintext: true) { node in
            try await node.client().signUp(username: "carol", password: "carol secret")
            let (connection, _) = try await FrameConnection.open(to: node.endpoint, tls: node.clientTLS, answerTimeout: patience)
            let challenge = try await connection.challenge(.getAuthParams(.with { $0.username = "carol" }))
            let key = try AccountSecrets.derive(password: "carol secret", username: "carol", parameters: .fast).loginKey
            let good = try await connection.proof(.signIn, subject: "carol", key: key, challenge: challenge)
            var wrong = good
            wrong[0] ^= 1
            #expect(try await code { _ = try await connection.request(.signIn(.with { $0.username = "carol"; $0.signature = wrong })) } == .incorrectPassword)
            #expect(try await code { _ = try await connection.request(.signIn(.with { $0.username = "carol"; $0.signature = good })) } == .badRequest)
            // A sign-in proof does not count as another purpose either.
            let fresh = try await connection.challenge(.getAuthParams(.with { $0.username = "carol" }))
            let signUpProof = try await connection.proof(.signUp, subject: "carol", key: key, challenge: fresh)
            #expect(try await code { _ = try await connection.request(.signIn(.with { $0.username = "carol"; $0.signature = signUpProof })) } == .incorrectPassword)
            try await connection.signIn("carol", password: "carol secret")
            await connection.close()
        }
    }

    /// On TLS the recording is worth nothing either, even to a man in the middle the client trusts (one holding a
    /// certificate the cluster CA issued): the client binds its proof to the certificate it saw, the relay's, and the
    /// node checks it against its own. The relay's sign-in fails, nothing of alice's is touched, and the proof it
    /// recorded, replayed to the node on a connection of its own, fails as well.
    @Test(arguments: Backend.all)
    func aSignInRelayedOverTLSByATrustedManInTheMiddleIsRefused(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            try await node.client().signUp(username: "alice", password: "alice secret")
            let bob = try await node.user("bob")
            try await bob.send("for alice only", to: "alice")
            let upstream = try #require(node.clientTLS)
            let relay = try await RecordingProxy.recording(
                to: node.endpoint, tls: (identity: try node.tls.identity("relay"), upstream: upstream)
            ) { relay in
                let relayed = node.client(home: "alice", via: relay.endpoint)
                let refused = await #expect(throws: ProtocolError.self) {
                    try await relayed.signIn(username: "alice", password: "alice secret")
                }
                #expect(refused?.code == .incorrectPassword, "\(String(describing: refused))")
                await relayed.signOut()  // closes its connection, so the relay has nothing left to carry
            }
            let recorded = try frames(in: try #require(await relay.connections.first))
            #expect(recorded.contains { if case .signIn = $0.body { true } else { false } }, "the relay saw the proof")

            let requests = recorded.filter { $0.requestID != 0 }.count
            let (replies, _) = try await RawConnection.open(node.endpoint, tls: node.clientTLS)
                .exchange([try recorded.flatMap(framed)], stopAfter: requests)
            #expect(!replies.contains { if case .signedIn = $0.body { true } else { false } })
            #expect(try await node.store.sessionNode(of: "alice") == nil)

            let alice = node.client(home: "alice")
            try await alice.signIn(username: "alice", password: "alice secret")
            #expect(try await alice.pendingMessages().map(\.text) == ["for alice only"])
        }
    }
}
