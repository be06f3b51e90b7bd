@testable import FastChatClient
import FastChatProtocol
import Foundation
import Testing

/// A connection over real loopback TCP to a node the test plays: the pairing of replies, the pushes and the close
/// are all done by the channel's own handlers, with no task of the connection's.
@Suite(.timeLimit(.minutes(1))) struct FrameConnectionTests {
    private static func connect(to node: FakeNode) async throws -> (FrameConnection, FakeNode.Peer) {
        let (connection, hello) = try await FrameConnection.open(to: node.endpoint, tls: nil)
        #expect(hello.nodeName == "fake")
        return (connection, try await node.nextPeer())
    }

    /// What a request fails with; nil when it is answered.
    private static func failure(of connection: FrameConnection) async -> ProtocolError? {
        do {
            _ = try await connection.request(.getAuthParams(.with { $0.username = "ann" }))
            return nil
        } catch {
            return error as? ProtocolError ?? ProtocolError(.internal, "\(error)")
        }
    }

    @Test func repliesGoToTheirRequestsWhateverTheOrderAndPushesKeepTheirs() async throws {
        try await FakeNode.with { node in
            let (connection, peer) = try await Self.connect(to: node)
            var received = peer.received.makeAsyncIterator()
            try await withThrowingTaskGroup(of: (asked: String, answer: String).self) { group in
                for name in ["ann", "ben", "cat"] {
                    group.addTask {
                        let reply = try await connection.request(.getAuthParams(.with { $0.username = name }))
                        guard case .authParams(let params) = reply else { return (name, "\(reply)") }
                        return (name, String(decoding: params.challenge, as: UTF8.self))
                    }
                }
                var requests: [Frame] = []
                for _ in 0..<3 { requests.append(try #require(await received.next())) }
                // The last asked is answered first, and pushes come between the answers.
                var pushed: UInt64 = 0
                for request in requests.reversed() {
                    for _ in 0..<5 {
                        try await peer.send(Frame(.synced(.with { $0.pendingDelivered = pushed })))
                        pushed += 1
                    }
                    guard case .getAuthParams(let asked) = request.body else {
                        Issue.record("the client sent \(request)")
                        continue
                    }
                    let answer = Fastchat_V1_AuthParams.with { $0.challenge = Data(asked.username.utf8) }
                    try await peer.send(Frame(requestID: request.requestID, .authParams(answer)))
                }
                for try await pair in group { #expect(pair.asked == pair.answer) }
            }
            var order: [UInt64] = []
            for await push in connection.pushes {
                if case .synced(let synced) = push { order.append(synced.pendingDelivered) }
                if order.count == 15 { break }
            }
            #expect(order == Array(0..<15))
            await connection.close()
        }
    }

    /// Version 5: one `AcceptedSends` push answers each send it names, in any order, and is not itself a push.
    @Test func acceptedSendsAnswerEachSendTheyName() async throws {
        try await FakeNode.with { node in
            let (connection, peer) = try await Self.connect(to: node)
            var received = peer.received.makeAsyncIterator()
            let ids = (0..<3).map { _ in UUID().bytes }
            try await withThrowingTaskGroup(of: (sent: Data, answer: Frame.OneOf_Body).self) { group in
                for id in ids {
                    group.addTask {
                        let send = Fastchat_V1_Send.with { $0.envelope.messageID = id }
                        return (id, try await connection.request(.send(send)))
                    }
                }
                var sends: [Fastchat_V1_AcceptedSend] = []
                for _ in ids {
                    let request = try #require(await received.next())
                    guard case .send(let send) = request.body else {
                        Issue.record("the client sent \(request)")
                        continue
                    }
                    sends.append(.with { $0.requestID = request.requestID; $0.messageID = send.envelope.messageID })
                }
                // Last first, and with a request id nothing waits for.
                let unknown = Fastchat_V1_AcceptedSend.with { $0.requestID = 999; $0.messageID = UUID().bytes }
                try await peer.send(Frame(.acceptedSends(.with { $0.sends = [unknown] + sends.reversed() })))
                for try await pair in group {
                    #expect(pair.answer == .accepted(.with { $0.messageID = pair.sent }))
                }
            }
            try await peer.send(Frame(.synced(.init())))
            for await push in connection.pushes {
                #expect(push == .synced(.init()), "the answers were not pushes")
                break
            }
            await connection.close()
        }
    }

    @Test func theNodesLastErrorIsWhatWaitingAndLaterRequestsFailWith() async throws {
        try await FakeNode.with { node in
            let (connection, peer) = try await Self.connect(to: node)
            let refusal = ProtocolError(.frameTooLarge, "That frame was too large.")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { #expect(await Self.failure(of: connection) == refusal) }
                var received = peer.received.makeAsyncIterator()
                _ = try #require(await received.next())
                try await peer.send(Frame(.error(refusal.wire)))
                await peer.close()
                try await group.waitForAll()
            }
            var pushes: [Frame.OneOf_Body] = []
            for await push in connection.pushes { pushes.append(push) }
            #expect(pushes == [.error(refusal.wire)], "the stream holds the error and ends at the close")
            #expect(await connection.isClosed)
            #expect(await Self.failure(of: connection) == refusal)
        }
    }

    @Test func afterTheCloseNothingWaitsAndEveryRequestFailsAsUnavailable() async throws {
        try await FakeNode.with { node in
            let (connection, peer) = try await Self.connect(to: node)
            var received = peer.received.makeAsyncIterator()
            let closed = ProtocolError(.unavailable, "The connection to the server was closed.")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { #expect(await Self.failure(of: connection) == closed) }
                _ = try #require(await received.next())
                // Waiting for the unanswered request ends at the close, not at the limit.
                group.addTask { await connection.waitUntilAnswered(within: .seconds(3600)) }
                await connection.close()
                try await group.waitForAll()
            }
            let after = await received.next()
            #expect(after == nil, "the node saw the close")
            for await push in connection.pushes { Issue.record("nothing was pushed, yet \(push) came") }
            #expect(await connection.isClosed)
            #expect(await Self.failure(of: connection) == closed)
            await connection.post(.signOut(.init()))
        }
    }

    @Test func waitingForAnswersEndsWithTheLastAnswerOrAtTheLimit() async throws {
        try await FakeNode.with { node in
            let (connection, peer) = try await Self.connect(to: node)
            var received = peer.received.makeAsyncIterator()
            await connection.waitUntilAnswered(within: .seconds(3600))  // nothing asked: at once
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await connection.request(.getAuthParams(.with { $0.username = "ann" })) }
                let request = try #require(await received.next())
                // Unanswered, so only the limit ends it.
                await connection.waitUntilAnswered(within: .milliseconds(50))
                group.addTask { await connection.waitUntilAnswered(within: .seconds(3600)) }
                try await peer.send(Frame(requestID: request.requestID, .authParams(.init())))
                try await group.waitForAll()
            }
            #expect(await !connection.isClosed)
            await connection.close()
        }
    }
}
