@testable import FastChatClient
import FastChatProtocol
import Foundation
import Testing

/// What a node pushes becomes events in the task that reads them, in the order pushed; the client runs no task of
/// its own. Against a node the test plays on loopback.
@Suite(.timeLimit(.minutes(1))) struct ClientEventsTests {
    private func client(_ node: FakeNode) -> ChatClient {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("fastchat-events-\(UUID())")
        return ChatClient(options: .init(endpoint: node.endpoint, tls: nil, home: home, kdf: .fast))
    }

    @Test func pushesBecomeEventsInTheirOrderAndTheCloseIsTheLast() async throws {
        try await FakeNode.with { node in
            let client = client(node)
            try await client.connect()
            let peer = try await node.nextPeer()
            let receipts = (0..<20).map { _ in UUID() }
            for id in receipts {
                try await peer.send(Frame(.receipt(.with { $0.messageID = id.bytes; $0.recipient = "bob" })))
            }
            try await peer.send(Frame(.synced(.with { $0.pendingDelivered = 7 })))
            await peer.close()
            var events: [String] = []
            reading: for await event in client.events {
                switch event {
                case .delivered(let id, let recipient): events.append("\(recipient) has \(id)")
                case .synced(let pending): events.append("synced \(pending)")
                case .disconnected:
                    events.append("disconnected")
                    break reading
                default: events.append("\(event)")
                }
            }
            #expect(events == receipts.map { "bob has \($0)" } + ["synced 7", "disconnected"])
        }
    }

    /// The mailbox for a sign-in waits for the account; with no sign-in under way (it failed, or never was), what
    /// comes after it must not be held up behind it.
    @Test func aDeliveryWithoutASignInDoesNotHoldUpTheEventsBehindIt() async throws {
        try await FakeNode.with { node in
            let client = client(node)
            try await client.connect()
            let peer = try await node.nextPeer()
            try await peer.send(Frame(.deliver(.with { $0.seq = 1; $0.envelope.sender = "mallory" })))
            try await peer.send(Frame(.synced(.with { $0.pendingDelivered = 3 })))
            var pending: Int?
            for await event in client.events {
                if case .synced(let count) = event {
                    pending = count
                    break
                }
            }
            #expect(pending == 3, "the push after the delivery became an event")
            await client.signOut()
        }
    }

    /// The reader owns the work: once its task is cancelled, the events end for good and nothing more is handled.
    @Test func aCancelledReaderEndsTheEvents() async throws {
        try await FakeNode.with { node in
            let client = client(node)
            try await client.connect()
            let peer = try await node.nextPeer()
            try await peer.send(Frame(.synced(.with { $0.pendingDelivered = 1 })))
            try await withThrowingTaskGroup(of: Void.self) { group in
                let (firstSeen, seen) = AsyncStream.makeStream(of: Void.self)
                group.addTask {
                    for await _ in client.events {
                        seen.yield()
                    }
                    seen.finish()
                }
                var iterator = firstSeen.makeAsyncIterator()
                _ = await iterator.next()
                group.cancelAll()
                try await group.waitForAll()
            }
            try await peer.send(Frame(.synced(.with { $0.pendingDelivered = 2 })))
            for await event in client.events { Issue.record("the events went on after their reader was cancelled: \(event)") }
            await client.signOut()
        }
    }

    /// A reader kept after its client was dropped (a replaced client) must not keep the client, and its connection's
    /// work, alive.
    @Test func eventsKeptByAReaderDoNotKeepTheirClient() {
        weak var dropped: ChatClient?
        var events: ClientEvents?
        do {
            let client = ChatClient(
                options: .init(
                    endpoint: Endpoint(host: "127.0.0.1", port: 1), tls: nil,
                    home: FileManager.default.temporaryDirectory, kdf: .fast))
            dropped = client
            events = client.events
        }
        #expect(dropped == nil)
        #expect(events != nil)
    }
}
