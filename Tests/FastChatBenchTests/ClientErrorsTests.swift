import FastChatProtocol
import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import FastChatBench

@Suite struct ClientErrorsTests {
    @Test func causeNamesAreSnakeCaseAndSayWhatFailed() {
        #expect(ClientErrorCause.refused(.unavailable).name == "refused_unavailable")
        #expect(ClientErrorCause.refused(.rateLimited).name == "refused_rate_limited")
        #expect(ClientErrorCause.refused(.mailboxFull).name == "refused_mailbox_full")
        #expect(ClientErrorCause.refused(.UNRECOGNIZED(99)).name == "refused_code_99")
        #expect(ClientErrorCause.ackRefused(.notSignedIn).name == "ack_refused_not_signed_in")
        #expect(ClientErrorCause.moveSignInFailed(.alreadyLoggedIn).name == "move_sign_in_failed_already_logged_in")
        let fixed: [ClientErrorCause] = [
            .noAnswer, .ackNoAnswer, .sealFailed, .connectionLost, .closedWhileMoving, .closedAwaitingMove,
            .moveUnreachable,
        ]
        #expect(fixed.map(\.name) == [
            "no_answer", "ack_no_answer", "seal_failed", "connection_lost", "closed_while_moving",
            "closed_awaiting_move", "move_unreachable",
        ])
        // Every code gets a distinct name made of lower-case words.
        let names = ErrorCode.allCases.map(\.snakeCaseName)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "_" } })
    }

    @Test func loopsMergeCountsByCauseAndTheTotalsFollow() {
        var first = LoadCounters()
        first.errors.count(.refused(.unavailable))
        first.errors.count(.refused(.unavailable))
        first.errors.count(.connectionLost)
        var second = LoadCounters()
        second.errors.count(.refused(.unavailable))
        second.errors.count(.noAnswer)
        second.errors.count(.moveSignInFailed(.alreadyLoggedIn))
        first.merge(second)
        #expect(first.errors.byName == [
            "refused_unavailable": 3, "no_answer": 1, "connection_lost": 1, "move_sign_in_failed_already_logged_in": 1,
        ])
        #expect(first.sendErrors == 4)
        #expect(first.connectionsLost == 2)
        #expect(LoadCounters().errors.byName.isEmpty)
    }

    @Test func theJSONCarriesTheTotalAndItsCauses() throws {
        var outcome = Self.outcome
        outcome.sendErrors = 5
        outcome.connectionsLost = 2
        outcome.clientErrorsByCause = ["refused_unavailable": 4, "no_answer": 1, "closed_while_moving": 2]
        let result = BenchResult(
            outcome, strategy: "round-robin", servers: 3, plan: .init(clients: 10), connectionsPerNode: [:],
            targetRate: 100, curve: nil)
        let data = try BenchResult.encode([result])
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["client_errors"] as? Int == 7)
        let causes = try #require(object["client_errors_by_cause"] as? [String: Int])
        #expect(causes == ["refused_unavailable": 4, "no_answer": 1, "closed_while_moving": 2])
        #expect(causes.values.reduce(0, +) == 7)
        #expect(try BenchResult.decode(data) == [result])
    }

    @Test func aCleanRunHasAnEmptyObjectAndOldResultsNone() throws {
        let clean = BenchResult(
            Self.outcome, strategy: "random", servers: 2, plan: .init(clients: 10), connectionsPerNode: [:],
            targetRate: 100, curve: nil)
        let object = try #require(
            try JSONSerialization.jsonObject(with: try BenchResult.encode([clean])) as? [String: Any])
        #expect(object["client_errors"] as? Int == 0)
        #expect((object["client_errors_by_cause"] as? [String: Int])?.isEmpty == true)

        let old = try #require(
            try JSONSerialization.jsonObject(with: try BenchResult.encode([Fixtures.result("hash")])) as? [String: Any])
        #expect(old["client_errors"] == nil && old["client_errors_by_cause"] == nil)
    }

    @Test func theTextListsCausesMostFrequentFirst() {
        var result = Fixtures.result("round-robin")
        result.clientErrors = 9
        result.clientErrorsByCause = ["connection_lost": 2, "refused_unavailable": 5, "no_answer": 2]
        #expect(ResultTable.causes(result.clientErrorsByCause!) == "refused_unavailable 5, connection_lost 2, no_answer 2")
        #expect(ResultTable.clientErrors([result, Fixtures.result("hash")])
            == "round-robin: 9 client errors: refused_unavailable 5, connection_lost 2, no_answer 2\n")
        #expect(ResultTable.clientErrors([Fixtures.result("hash")]).isEmpty)
    }

    // MARK: The connection's counting, on an embedded channel

    @Test func refusedAndUnansweredSendsAndAcksAreCountedOnce() throws {
        let client = try Client()
        let sends = try client.send(3)
        try client.answer(sends[0], .accepted(.with { $0.messageID = Data(count: 16) }))
        try client.answer(sends[1], .error(.with { $0.code = .rateLimited }))
        let ack = try client.deliverAndAck()
        try client.answer(ack, .error(.with { $0.code = .unavailable }))
        // Not yet timed out, then past the answer timeout: the third send is given up on, once.
        let now = NIODeadline.now().uptimeNanoseconds
        client.connection.giveUpUnanswered(now: now)
        #expect(client.load.snapshot.errors.byName == ["refused_rate_limited": 1, "ack_refused_unavailable": 1])
        client.connection.giveUpUnanswered(now: now + UInt64(BenchConnection.answerTimeout.nanoseconds) + 1_000_000_000)
        client.connection.giveUpUnanswered(now: now + 2 * UInt64(BenchConnection.answerTimeout.nanoseconds))
        // A late answer to it counts no more.
        try client.answer(sends[2], .error(.with { $0.code = .unavailable }))
        #expect(client.load.snapshot.errors.byName == [
            "refused_rate_limited": 1, "ack_refused_unavailable": 1, "no_answer": 1,
        ])
        #expect(client.load.snapshot.sendErrors == 3)
        #expect(client.load.snapshot.connectionsLost == 0)
    }

    @Test func aConnectionClosedAfterMoveWithSendsUnansweredIsToldApartFromOneLost() throws {
        let moving = try Client()
        let sends = try moving.send(2)
        try moving.answer(sends[0], .accepted(.with { $0.messageID = Data(count: 16) }))
        try moving.channel.writeInbound(Frame(.move(.init())))
        #expect(moving.load.takeMovers().isEmpty, "a send is still unanswered")
        try moving.channel.close().wait()
        // Counted with the connection, not again as unanswered.
        moving.connection.giveUpUnanswered(now: .max)
        #expect(moving.load.snapshot.errors.byName == ["closed_while_moving": 1])
        #expect(moving.load.snapshot.connectionsLost == 1)

        let lost = try Client()
        _ = try lost.send(1)
        try lost.channel.close().wait()
        #expect(lost.load.snapshot.errors.byName == ["connection_lost": 1])

        // Everything answered and the loop told to move it, but closed before the bench did.
        let late = try Client()
        let sent = try late.send(1)
        try late.channel.writeInbound(Frame(.move(.init())))
        try late.answer(sent[0], .accepted(.with { $0.messageID = Data(count: 16) }))
        #expect(late.load.takeMovers() == [0])
        try late.channel.close().wait()
        #expect(late.load.snapshot.errors.byName == ["closed_awaiting_move": 1])
    }

    @Test func aMovingClientWhoseLastSendGoesUnansweredMovesOnce() throws {
        let client = try Client()
        let sends = try client.send(1)
        try client.channel.writeInbound(Frame(.move(.init())))
        client.connection.giveUpUnanswered(now: .max)
        #expect(client.load.takeMovers() == [0])
        try client.answer(sends[0], .accepted(.with { $0.messageID = Data(count: 16) }))
        // An ack written while moving, answered: nothing is unanswered again, but the loop was told already.
        try client.answer(try client.deliverAndAck(), .ok(.init()))
        #expect(client.load.takeMovers().isEmpty, "told the loop once")
        #expect(client.load.snapshot.errors.byName == ["no_answer": 1])
    }

    private static let outcome = LoadOutcome(
        targetRate: 100, durationSeconds: 10, offeredPerSecond: 100, deliveredPerSecond: 100, latency: .zero, lost: 0,
        duplicates: 0, reordered: 0, sendErrors: 0, undecryptable: 0, connectionsLost: 0, clientErrorsByCause: [:],
        serverCPUSeconds: [:], serverPeakRSSBytes: [:])
}

/// One signed-in bench connection on an embedded channel: what it writes is read back, answers are fed in.
private struct Client {
    let channel: EmbeddedChannel
    let load: LoopLoad
    let connection: BenchConnection

    init() throws {
        let channel = EmbeddedChannel()
        let load = LoopLoad(eventLoop: channel.embeddedEventLoop, directory: nil)
        let connection = BenchConnection(load: load)
        try channel.pipeline.syncOperations.addHandler(connection)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7101)).wait()
        let user = try BenchUser(index: 0, prefix: "e", kdf: .fast)
        let partner = try BenchUser(index: 1, prefix: "e", kdf: .fast)
        connection.user = user
        connection.outgoing = try OutgoingMessages(
            target: .direct(recipient: partner.username, key: partner.identity.publicIdentity), from: user,
            sealEach: false)
        load.add(connection)
        (self.channel, self.load, self.connection) = (channel, load, connection)
    }

    /// Writes `count` messages and returns their request ids.
    func send(_ count: Int) throws -> [UInt64] {
        for _ in 0..<count { connection.sendNext(intendedNanos: 0) }
        _ = connection.flush(acknowledging: false)
        return try (0..<count).map { _ in try #require(try channel.readOutbound(as: Frame.self)).requestID }
    }

    /// Delivers a copy and returns the request id of the Ack that acknowledges it.
    func deliverAndAck() throws -> UInt64 {
        try channel.writeInbound(Frame(.deliver(.with { $0.seq = 7 })))
        _ = connection.flush(acknowledging: true)
        let ack = try #require(try channel.readOutbound(as: Frame.self))
        #expect(ack.ack.seqs == [7])
        return ack.requestID
    }

    func answer(_ requestID: UInt64, _ body: Frame.OneOf_Body) throws {
        try channel.writeInbound(Frame(requestID: requestID, body))
    }
}
