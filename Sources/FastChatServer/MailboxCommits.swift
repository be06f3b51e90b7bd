import FastChatProtocol
import FastChatStore
import Logging

/// What the mailbox's commit stage writes, each with what its submitter is answered by: new messages and
/// acknowledgements, both in the stage's next transaction (`ChatStore.commit(acknowledging:accepting:)`), so a node
/// under load commits once per batch, not once per kind.
enum MailboxChange: Sendable {
    case message(IncomingMessage, SendTicket)
    case acknowledgement(Acknowledgement, AckTicket)
}

enum MailboxChangeOutcome: Sendable {
    case accepted(AcceptOutcome)
    case acknowledged([MailboxEntry])
}

typealias MailboxWriter = GroupCommit<MailboxChange, MailboxChangeOutcome, Void>
typealias AcceptReport = CommitReport<IncomingMessage, AcceptOutcome, SendTicket>
typealias AckReport = CommitReport<Acknowledgement, [MailboxEntry], AckTicket>

extension MailboxWriter {
    /// The node's one commit stage for its mailbox. A message weighs its copies, an acknowledgement its seqs: the
    /// rows each writes or deletes.
    static func forMailbox(
        of store: any ChatStore, maxBatchSize: Int, metrics: NodeMetrics, logger: Logger
    ) -> MailboxWriter {
        MailboxWriter(
            "mailbox", maxBatchSize: maxBatchSize, storeErrors: metrics.storeErrors, logger: logger,
            executor: store.batchWriteExecutor,
            weight: { change in
                switch change {
                case .message(let message, _): message.copies.count
                case .acknowledgement(let acknowledgement, _): acknowledgement.seqs.count
                }
            }
        ) { changes in
            try await write(changes, to: store, metrics: metrics)
        }
    }

    private static func write(
        _ changes: [MailboxChange], to store: any ChatStore, metrics: NodeMetrics
    ) async throws -> [MailboxChangeOutcome] {
        var (acknowledgements, messages) = ([Acknowledgement](), [IncomingMessage]())
        for change in changes {
            switch change {
            case .message(let message, _): messages.append(message)
            case .acknowledgement(let acknowledgement, _): acknowledgements.append(acknowledgement)
            }
        }
        let started = ContinuousClock.now
        let commit = try await store.commit(acknowledging: acknowledgements, accepting: messages)
        guard commit.accepted.count == messages.count, commit.acknowledged.count == acknowledgements.count else {
            throw ProtocolError(
                .internal, "The store reported \(commit.accepted.count) outcomes for \(messages.count) messages and "
                    + "\(commit.acknowledged.count) for \(acknowledgements.count) acknowledgements.")
        }
        let took = ContinuousClock.now - started
        for (commits, count) in [(metrics.mailboxCommits, messages.count), (metrics.ackCommits, acknowledgements.count)]
        where count > 0 {
            commits.batchSize.record(count)
            commits.duration.record(duration: took)
        }
        var (accepted, acknowledged) = (commit.accepted.makeIterator(), commit.acknowledged.makeIterator())
        return changes.map { change in
            switch change {
            case .message: .accepted(accepted.next()!)
            case .acknowledgement: .acknowledged(acknowledged.next()!)
            }
        }
    }
}

extension NodeServices {
    /// Answers a written batch: its messages' reports and its acknowledgements', each kind in submission order. What
    /// of that needs a wait is returned, both kinds' to run side by side.
    func reportCommitted(_ reports: [MailboxWriter.Report]) -> ReportRemainder? {
        var (accepts, acks) = ([AcceptReport](), [AckReport]())
        for report in reports {
            switch report.item {
            case .message(let message, let ticket):
                accepts.append(AcceptReport(item: message, ticket: ticket, result: report.result.flatMap {
                    guard case .accepted(let outcome) = $0 else { return .failure(Self.mismatched($0)) }
                    return .success(outcome)
                }))
            case .acknowledgement(let acknowledgement, let ticket):
                acks.append(AckReport(item: acknowledgement, ticket: ticket, result: report.result.flatMap {
                    guard case .acknowledged(let entries) = $0 else { return .failure(Self.mismatched($0)) }
                    return .success(entries)
                }))
            }
        }
        let remainders = [
            accepts.isEmpty ? nil : reportAccepted(accepts), acks.isEmpty ? nil : reportAcknowledged(acks),
        ].compactMap { $0 }
        guard remainders.count > 1 else { return remainders.first }
        return {
            await withDiscardingTaskGroup { group in
                for remainder in remainders { group.addTask { await remainder() } }
            }
        }
    }

    private static func mismatched(_ outcome: MailboxChangeOutcome) -> any Error {
        ProtocolError(.internal, "The commit stage reported \(outcome) for another kind of change.")
    }
}
