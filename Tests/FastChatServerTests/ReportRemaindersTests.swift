import FastChatProtocol
@testable import FastChatServer
import FastChatStore
import Foundation
import Testing

/// A commit report does on the commit stage's thread whatever needs no wait, and leaves the rest (a store read for a
/// user it does not know, a node it has no link to) to run later. What it leaves keeps its place: the senders'
/// answers follow their messages' routing. Real store, real loopback links.
@Suite(.timeLimit(.minutes(10))) struct ReportRemaindersTests {
    /// Alice writes to Carol, signed in on another node that this one has not looked up yet: finding Carol takes a
    /// store read, so the report leaves it, and Alice's ✓ with it.
    @Test func anUnknownRecipientLeavesTheStoreReadAndTheAnswerForLater() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        let alice = try await TestConnection.make()
        await alice.signIn("alice", at: services)
        _ = try await alice.written()
        try await scratch.store.openSession(username: "carol", node: "elsewhere")
        let (report, window) = try await Self.acceptReport(from: "alice", to: "carol", answeringOn: alice, in: scratch.store)

        let remainder = try #require(services.reportAccepted([report]))
        #expect(window.open == 0, "the request's slot is given back at once")
        #expect(try await alice.written().isEmpty, "no ✓ before the message is routed")
        await remainder()

        #expect(try await alice.written().map(\.requestID) == [1])
        // With no link to that node, the entry waits in Carol's mailbox, remembered for the link to come.
        #expect(try await scratch.store.pending(for: "carol", afterSeq: 0, limit: 10).map(\.messageID) == [report.item.messageID])
    }

    /// With the other node known and linked, an entry for a user there and a receipt for a sender there leave at
    /// once, on the commit stage's thread: nothing is left for later.
    @Test func aKnownLinkedNodeIsForwardedToWithNoWait() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        try await withLinkedPeer(of: services) { events in
            try await scratch.store.openSession(username: "carol", node: "peer")
            #expect(await services.presence.nodes(of: ["carol"]) == ["carol": "peer"])
            let alice = try await TestConnection.make()
            await alice.signIn("alice", at: services)
            _ = try await alice.written()

            let (report, _) = try await Self.acceptReport(from: "alice", to: "carol", answeringOn: alice, in: scratch.store)
            #expect(services.reportAccepted([report]) == nil)
            #expect(try await alice.written().map(\.requestID) == [1])

            // Alice reads a message of Carol's: its receipt goes to Carol's node.
            let fromCarol = IncomingMessage(sender: "carol", messageID: UUID(), recipients: ["alice"], envelope: Data("x".utf8))
            _ = try await scratch.store.accept([fromCarol])
            let seqs = try await scratch.store.pending(for: "alice", afterSeq: 0, limit: 10).map(\.seq)
            let removed = try await scratch.store.acknowledge(recipient: "alice", seqs: seqs)
            let window = RequestWindow(limit: 1)
            await window.acquire()
            let session = try #require(services.sessions.session(for: "alice"))
            let ticket = AckTicket(requestID: 0, answersSuccess: false, outbox: alice.outbox, window: window, session: session)
            #expect(services.reportAcknowledged([
                .init(item: Acknowledgement(recipient: "alice", seqs: seqs), ticket: ticket, result: .success(removed)),
            ]) == nil)

            var (entries, receipts) = ([Fastchat_V1_ForwardedEntry](), [Fastchat_V1_ForwardedReceipt]())
            for await event in events {
                if case .frame(let frame) = event, case .forward(let forward) = frame.body {
                    entries += forward.entries
                    receipts += forward.receipts
                }
                if !entries.isEmpty, !receipts.isEmpty { break }
            }
            #expect(entries.map(\.messageID) == [report.item.messageID.bytes])
            #expect(receipts.map(\.to) == ["carol"])
            #expect(receipts.map(\.receipt.messageID) == [fromCarol.messageID.bytes])
        }
    }

    /// A message from `sender` to `recipient`, stored, and its report: request 1, answered on `connection`, its
    /// request-window slot taken.
    private static func acceptReport(
        from sender: String, to recipient: String, answeringOn connection: TestConnection, in store: SQLiteStore
    ) async throws -> (AcceptReport, RequestWindow) {
        let message = IncomingMessage(sender: sender, messageID: UUID(), recipients: [recipient], envelope: Data("sealed".utf8))
        let outcome = try #require(try await store.accept([message]).first)
        let window = RequestWindow(limit: 1)
        await window.acquire()
        let ticket = SendTicket.request(SendRequest(
            requestID: 1, outbox: connection.outbox, window: window,
            accepted: .with { $0.messageID = message.messageID.bytes }, isGroup: false))
        return (AcceptReport(item: message, ticket: ticket, result: .success(outcome)), window)
    }
}
