import FastChatProtocol
@testable import FastChatServer
import FastChatStore
import Foundation
import Logging
import NIOEmbedded
import Testing

/// What a written batch turns into: each recipient signed in here gets the batch's entries for them at once, and
/// only then is each sender answered, in submission order, its request-window slot given back.
@Suite struct CommitReportsTests {
    @Test func aBatchGoesToEachRecipientInOnePushBeforeItsSendersAreAnswered() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        // Bob sends to himself, so that one connection shows the order of the push and the answers.
        let bob = try await TestConnection.make()
        await bob.signIn("bob", at: services, framing: .deliveries(maxFrameBytes: Wire.defaultMaxFrameBytes))

        let messages = (0..<3).map { _ in
            IncomingMessage(sender: "bob", messageID: UUID(), recipients: ["bob"], envelope: Data("sealed".utf8))
        }
        let outcomes = try await scratch.store.accept(messages)
        let window = RequestWindow(limit: 4)
        var reports: [AcceptReport] = []
        for (index, (message, outcome)) in zip(messages, outcomes).enumerated() {
            reports.append(.init(item: message, ticket: Self.ticket(UInt64(index + 1), message, bob, window), result: .success(outcome)))
        }
        let unstored = IncomingMessage(sender: "bob", messageID: UUID(), recipients: ["bob"], envelope: Data("x".utf8))
        reports.append(.init(item: unstored, ticket: Self.ticket(4, unstored, bob, window), result: .failure(StoreError.cannotOpen("down"))))
        for _ in reports { await window.acquire() }

        #expect(services.reportAccepted(reports) == nil, "everyone is here: nothing is left for later")

        let frames = try await bob.written()
        guard frames.count == 6, case .synced = frames[0].body, case .deliveries(let deliveries) = frames[1].body else {
            Issue.record("Expected Synced, one Deliveries and four answers; got \(frames)")
            return
        }
        let stored = outcomes.flatMap { outcome -> [MailboxEntry] in
            if case .stored(let entries) = outcome { return entries }
            return []
        }
        #expect(deliveries.entries.map(\.seq) == stored.map { UInt64($0.seq) })
        #expect(frames[2...].map(\.requestID) == [1, 2, 3, 4])
        for (frame, message) in zip(frames[2...4], messages) {
            #expect(frame.body == .accepted(.with { $0.messageID = message.messageID.bytes }))
        }
        guard case .error(let error) = frames[5].body else {
            Issue.record("The unstored message was answered with \(frames[5])")
            return
        }
        #expect(error.code == .unavailable)
        #expect(window.open == 0)
    }

    /// Acknowledgements written together are each answered (a quiet one only when it fails), and their senders here
    /// get every receipt.
    @Test func aBatchOfAcknowledgementsSendsEveryReceipt() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        let alice = try await TestConnection.make()
        let bob = try await TestConnection.make()
        for (name, connection) in [("alice", alice), ("bob", bob)] {
            await connection.signIn(name, at: services, replaying: false)
        }
        let messages = (0..<2).map { _ in
            IncomingMessage(sender: "alice", messageID: UUID(), recipients: ["bob"], envelope: Data("sealed".utf8))
        }
        let seqs = try await scratch.store.accept(messages).flatMap { outcome -> [Int64] in
            if case .stored(let entries) = outcome { return entries.map(\.seq) }
            return []
        }
        let acknowledgements = seqs.map { Acknowledgement(recipient: "bob", seqs: [$0]) }
        let removed = try await scratch.store.acknowledge(acknowledgements)
        let window = RequestWindow(limit: 3)
        let bobSession = try #require(services.sessions.session(for: "bob"))
        // The first is answered; the second is quiet (request id 0, protocol version 3); so is a third that failed.
        var reports: [AckReport] = []
        for (index, (acknowledgement, entries)) in zip(acknowledgements, removed).enumerated() {
            let ticket = AckTicket(
                requestID: index == 0 ? 1 : 0, answersSuccess: index == 0, outbox: bob.outbox, window: window,
                session: bobSession)
            reports.append(.init(item: acknowledgement, ticket: ticket, result: .success(entries)))
            await window.acquire()
        }
        let failed = AckTicket(requestID: 0, answersSuccess: false, outbox: bob.outbox, window: window, session: bobSession)
        reports.append(.init(
            item: Acknowledgement(recipient: "bob", seqs: [99]), ticket: failed,
            result: .failure(StoreError.cannotOpen("down"))))
        await window.acquire()

        #expect(services.reportAcknowledged(reports) == nil, "everyone is here: nothing is left for later")

        let answers = try await bob.written()
        #expect(answers.map(\.requestID) == [1, 0])
        #expect(answers.first?.body == .ok(.init()))
        guard case .error(let error)? = answers.last?.body else {
            Issue.record("The failed quiet acknowledgement was answered with \(answers)")
            return
        }
        #expect(error.code == .unavailable)
        let receipts = try await alice.written().compactMap { frame -> Data? in
            if case .receipt(let receipt) = frame.body { return receipt.messageID }
            return nil
        }
        #expect(receipts == messages.map(\.messageID.bytes))
        #expect(window.open == 0)
    }

    /// The commit stage writes messages and acknowledgements submitted together in one batch and answers both kinds.
    @Test func messagesAndAcknowledgementsAreCommittedAndAnsweredTogether() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        let alice = try await TestConnection.make()
        let bob = try await TestConnection.make()
        let old = IncomingMessage(sender: "alice", messageID: UUID(), recipients: ["bob"], envelope: Data("old".utf8))
        let oldSeq = try #require(try await scratch.store.accept([old]).first.flatMap { outcome -> Int64? in
            if case .stored(let entries) = outcome { return entries.first?.seq }
            return nil
        })
        for (name, connection) in [("alice", alice), ("bob", bob)] {
            await connection.signIn(name, at: services, framing: .deliveries(maxFrameBytes: Wire.defaultMaxFrameBytes))
        }
        _ = try await (alice.written(), bob.written())
        let bobSession = try #require(services.sessions.session(for: "bob"))
        let window = RequestWindow(limit: 2)
        await window.acquire()
        await window.acquire()
        let new = IncomingMessage(sender: "alice", messageID: UUID(), recipients: ["bob"], envelope: Data("new".utf8))
        let ack = AckTicket(requestID: 2, answersSuccess: true, outbox: bob.outbox, window: window, session: bobSession)
        #expect(try services.mailbox.submitNow(.message(new, Self.ticket(1, new, alice, window)), ticket: ()))
        #expect(try services.mailbox.submitNow(.acknowledgement(Acknowledgement(recipient: "bob", seqs: [oldSeq]), ack), ticket: ()))

        // Both are queued before the stage runs, so its first batch holds both; finishing ends it once they are answered.
        services.mailbox.finish()
        await services.mailbox.run(reporting: services.reportCommitted)

        let toAlice = try await alice.written()
        #expect(toAlice.contains { $0.requestID == 1 && $0.body == .accepted(.with { $0.messageID = new.messageID.bytes }) })
        #expect(toAlice.contains { frame in
            if case .receipt(let receipt) = frame.body { return receipt.messageID == old.messageID.bytes }
            return false
        })
        let toBob = try await bob.written()
        #expect(toBob.contains { $0.requestID == 2 && $0.body == .ok(.init()) })
        let pushed = toBob.flatMap { frame -> [UInt64] in
            if case .deliveries(let deliveries) = frame.body { return deliveries.entries.map(\.seq) }
            return []
        }
        let pending = try await scratch.store.pending(for: "bob", afterSeq: 0, limit: 10)
        #expect(pending.map(\.messageID) == [new.messageID])
        #expect(pushed == pending.map { UInt64($0.seq) })
        #expect(window.open == 0)
    }


    private static func ticket(
        _ requestID: UInt64, _ message: IncomingMessage, _ connection: TestConnection, _ window: RequestWindow
    ) -> SendTicket {
        .request(SendRequest(
            requestID: requestID, outbox: connection.outbox, window: window,
            accepted: .with { $0.messageID = message.messageID.bytes }, isGroup: false))
    }
}

/// A connection's outbox on a testing channel, and what was written to it.
struct TestConnection {
    let channel: NIOAsyncTestingChannel
    let writer: FrameWriter
    var outbox: Outbox { Outbox(writer: writer) }

    static func make() async throws -> TestConnection {
        let channel = NIOAsyncTestingChannel()
        return TestConnection(channel: channel, writer: try await FrameWriter.make(for: channel))
    }

    /// Signs `name` in at `services` on this connection: its delivery runs on the connection's loop, as on a node, and
    /// is registered as the user's session after its sign-in replay (with none, live pushes are held).
    func signIn(
        _ name: String, at services: NodeServices, framing: PushFraming = .deliverEach, replaying: Bool = true,
        receiptsInBatches: Bool = false
    ) async {
        let delivery = MailboxDelivery(
            username: name, outbox: outbox, loop: channel.eventLoop, store: services.store, pageSize: 100,
            framing: framing, metrics: services.metrics, logger: Logger(label: "test"))
        if replaying { await delivery.replay() }
        services.sessions.register(
            Session(username: name, outbox: outbox, delivery: delivery, receiptsInBatches: receiptsInBatches))
    }

    /// Every frame written so far, in order.
    func written() async throws -> [Frame] {
        await writer.flush()
        await channel.testingEventLoop.run()
        var frames: [Frame] = []
        while let frame = try await channel.readOutbound(as: Frame.self) { frames.append(frame) }
        return frames
    }
}
