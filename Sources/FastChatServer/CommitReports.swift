import FastChatProtocol
import FastChatStore
import Foundation

/// What the mailbox's commit stage is handed with a message, to be answered by.
enum SendTicket: Sendable {
    /// A client's `Send`: it is answered, and its request-window slot given back.
    case request(SendRequest)
    /// A group notice the node queued itself: routed like any message, and nobody waits for an answer.
    case notice
}

struct SendRequest: Sendable {
    let requestID: UInt64
    let outbox: Outbox
    let window: RequestWindow
    let accepted: Fastchat_V1_Accepted
    let isGroup: Bool
    /// The connection speaks `Wire.acceptedSendsVersion`: a ✓ goes in an `AcceptedSends` frame with its others.
    var answersInBatches = false
}

/// What a connection hands the mailbox's commit stage with an acknowledgement, to be answered by.
struct AckTicket: Sendable {
    let requestID: UInt64
    /// False for a quiet ack (`Wire.quietAcksVersion`): only a failure is answered.
    let answersSuccess: Bool
    let outbox: Outbox
    let window: RequestWindow
    let session: Session
}

extension NodeServices {
    /// Answers a written batch of messages: routes every stored entry of the batch at once, then tells each sender
    /// (a connection of `Wire.acceptedSendsVersion` gets its ✓s together, after its failures). What needs a wait is
    /// returned, the senders' answers with it (they follow the routing).
    func reportAccepted(_ reports: [AcceptReport]) -> ReportRemainder? {
        var stored: [MailboxEntry] = []
        for report in reports {
            if case .request(let request) = report.ticket { request.window.release() }
            if case .success(.stored(let entries)) = report.result { stored.append(contentsOf: entries) }
        }
        // Routed before the ✓: a sender that moves to another node (a drain) and sends again must not have its next
        // message overtake this one on the way to a recipient on a third node.
        let routing = route(stored)
        var answers = OutboundBatch()
        var batched = AcceptedSendsBatch()
        func accepted(_ request: SendRequest) {
            if request.answersInBatches {
                batched.add(request)
            } else {
                answers.reply(to: request.requestID, .accepted(request.accepted), on: request.outbox)
            }
        }
        for report in reports {
            guard case .request(let request) = report.ticket else { continue }
            let (requestID, outbox) = (request.requestID, request.outbox)
            switch report.result {
            case .success(.stored(let entries)):
                accepted(request)
                metrics.messagesAccepted.increment()
                metrics.figures.messageAccepted()
                if request.isGroup { metrics.groupCopies.increment(by: entries.count) }
            case .success(.duplicate):
                accepted(request)
            case .success(.missingImage):
                // No ✓ for an image no recipient could fetch.
                answers.fail(requestID, on: outbox, ProtocolError(
                    .badImage, "The image is no longer on the server (an upload is kept for a while until a message "
                        + "refers to it); send it again."))
            case .success(.mailboxFull(let recipients)):
                metrics.mailboxQuotaRefused.increment()
                let quota = configuration.mailboxQuota
                answers.fail(requestID, on: outbox, ProtocolError(
                    .mailboxFull,
                    "The mailbox of \(recipients.joined(separator: ", ")) is full (at most \(quota.entries) messages or "
                        + "\(quota.bytes >> 20) MiB waiting); nothing was stored; send it again once they have read some."))
            case .failure:
                answers.fail(requestID, on: outbox, ProtocolError(.unavailable, "The message could not be stored; send it again."))
            }
        }
        batched.move(into: &answers)
        guard let routing else {
            answers.send()
            return nil
        }
        return { [answers] in
            await routing()
            var answers = answers
            answers.send()
        }
    }

    /// Answers a written batch of acknowledgements, then sends the receipts of the whole batch at once (what of that
    /// needs a wait is returned).
    func reportAcknowledged(_ reports: [AckReport]) -> ReportRemainder? {
        var removed: [MailboxEntry] = []
        var answers = OutboundBatch()
        var forgotten: [(delivery: MailboxDelivery, job: MailboxDelivery.Job)] = []
        for report in reports {
            let ticket = report.ticket
            ticket.window.release()
            switch report.result {
            case .success(let entries):
                metrics.messagesAcknowledged.increment(by: entries.count)
                let seqs = report.item.seqs
                forgotten.append((ticket.session.delivery, { @Sendable delivery in delivery.acknowledged(seqs) }))
                if ticket.answersSuccess { answers.reply(to: ticket.requestID, .ok(.init()), on: ticket.outbox) }
                removed.append(contentsOf: entries)
            case .failure:
                answers.fail(ticket.requestID, on: ticket.outbox, ProtocolError(
                    .unavailable, "The acknowledgement could not be stored; send it again."))
            }
        }
        MailboxDelivery.onTheirLoops(forgotten)
        answers.send()
        return sendReceipts(for: removed)
    }
}
