import FastChatProtocol
@testable import FastChatServer
import FastChatStore
import Foundation
import Testing

/// The ✓s one commit brings a connection: from version 5 in `AcceptedSends` frames, each entry naming its send's
/// request id; before, an `Accepted` under each request id.
@Suite struct AcceptedSendsTests {
    @Test func aVersion5ConnectionGetsItsAcceptedSendsTogetherAndAnOlderOneEachOnItsOwn() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        let bob = try await TestConnection.make()
        let carol = try await TestConnection.make()
        await bob.signIn("bob", at: services)
        await carol.signIn("carol", at: services)
        _ = try await (bob.written(), carol.written())
        // Each sends to themselves, so that every stored entry has its recipient here.
        let bobs = (0..<3).map { _ in message(from: "bob") }
        let carols = (0..<2).map { _ in message(from: "carol") }
        let outcomes = try await scratch.store.accept(bobs + carols)
        let (bobsWindow, carolsWindow) = (RequestWindow(limit: 8), RequestWindow(limit: 8))
        var reports: [AcceptReport] = []
        for (index, (message, outcome)) in zip(bobs, outcomes).enumerated() {
            reports.append(report(UInt64(index + 1), message, outcome, on: bob, window: bobsWindow, batching: true))
        }
        let failed = message(from: "bob")
        reports.append(.init(
            item: failed, ticket: ticket(4, failed, on: bob, window: bobsWindow, batching: true),
            result: .failure(StoreError.cannotOpen("down"))))
        reports.append(report(5, bobs[0], .duplicate, on: bob, window: bobsWindow, batching: true))
        for (index, (message, outcome)) in zip(carols, outcomes.dropFirst(3)).enumerated() {
            reports.append(report(UInt64(index + 1), message, outcome, on: carol, window: carolsWindow, batching: false))
        }
        for _ in 0..<5 { await bobsWindow.acquire() }
        for _ in 0..<2 { await carolsWindow.acquire() }

        #expect(services.reportAccepted(reports) == nil, "everyone is here: nothing is left for later")

        let toBob = try await bob.written().filter(\.isAnswer)
        guard toBob.count == 2, case .error(let error) = toBob[0].body, case .acceptedSends(let batch) = toBob[1].body
        else {
            Issue.record("Expected the failure, then one AcceptedSends; got \(toBob)")
            return
        }
        #expect(toBob[0].requestID == 4)
        #expect(error.code == .unavailable)
        #expect(toBob[1].requestID == 0)
        #expect(batch.sends.map(\.requestID) == [1, 2, 3, 5])
        #expect(batch.sends.map(\.messageID) == (bobs + [bobs[0]]).map(\.messageID.bytes))
        let toCarol = try await carol.written().filter(\.isAnswer)
        #expect(toCarol.map(\.requestID) == [1, 2])
        #expect(toCarol.map(\.body) == carols.map { message in .accepted(.with { $0.messageID = message.messageID.bytes }) })
        #expect(bobsWindow.open == 0)
        #expect(carolsWindow.open == 0)
    }

    @Test func manyAcceptedSendsAreSplitIntoFramesInOrder() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let services = try NodeServices.forTesting(scratch.store)
        let bob = try await TestConnection.make()
        let count = AcceptedSendsBatch.maxPerFrame + 1
        let window = RequestWindow(limit: count)
        let reports = (1...count).map { requestID in
            report(UInt64(requestID), message(from: "bob"), .duplicate, on: bob, window: window, batching: true)
        }
        for _ in reports { await window.acquire() }

        #expect(services.reportAccepted(reports) == nil)

        let frames = try await bob.written().compactMap { frame -> [Fastchat_V1_AcceptedSend]? in
            if case .acceptedSends(let batch) = frame.body { return batch.sends }
            return nil
        }
        #expect(frames.map(\.count) == [AcceptedSendsBatch.maxPerFrame, 1])
        #expect(frames.flatMap { $0.map(\.requestID) } == Array(1...UInt64(count)))
        #expect(frames.flatMap { $0.map(\.messageID) } == reports.map(\.item.messageID.bytes))
    }

    private func message(from sender: String) -> IncomingMessage {
        IncomingMessage(sender: sender, messageID: UUID(), recipients: [sender], envelope: Data("sealed".utf8))
    }

    private func report(
        _ requestID: UInt64, _ message: IncomingMessage, _ outcome: AcceptOutcome, on connection: TestConnection,
        window: RequestWindow, batching: Bool
    ) -> AcceptReport {
        .init(
            item: message, ticket: ticket(requestID, message, on: connection, window: window, batching: batching),
            result: .success(outcome))
    }

    private func ticket(
        _ requestID: UInt64, _ message: IncomingMessage, on connection: TestConnection, window: RequestWindow,
        batching: Bool
    ) -> SendTicket {
        .request(SendRequest(
            requestID: requestID, outbox: connection.outbox, window: window,
            accepted: .with { $0.messageID = message.messageID.bytes }, isGroup: false, answersInBatches: batching))
    }
}

extension Frame {
    /// An answer to sends: not a push of the recipient's own entries.
    fileprivate var isAnswer: Bool {
        switch body {
        case .deliver, .deliveries, .synced: false
        default: true
        }
    }
}
