import FastChatProtocol
import FastChatStore
import Foundation

extension ConnectionHandler {
    static let maxSeqsPerAck = 10_000

    func send(_ request: Fastchat_V1_Send, requestID: UInt64) async throws {
        let envelope = request.envelope
        let (session, messageID) = try checkedSender(of: envelope)
        let copies: MessageCopies
        if envelope.group.isEmpty {
            _ = try await existingUser(envelope.recipient)
            copies = try MessageCopies(oneToOne: envelope)
        } else {
            copies = MessageCopies(try await groupItems(of: envelope, from: session.username))
        }
        let message = try incomingMessage(envelope, copies, from: session, id: messageID)
        try await submit(.message(message, sendTicket(envelope, requestID: requestID)))
    }

    /// `send` for a 1:1 message, without suspending (on the connection's event loop): false, with nothing done, when
    /// it would have to wait (the recipient's account is not cached here, or the request window or the commit queue
    /// is full).
    func sendWithoutWaiting(_ request: Fastchat_V1_Send, requestID: UInt64) throws -> Bool {
        let envelope = request.envelope
        guard envelope.group.isEmpty else { return false }
        let (session, messageID) = try checkedSender(of: envelope)
        try Names.validate(envelope.recipient)
        guard services.users.cachedUser(named: envelope.recipient) != nil else { return false }
        let message = try incomingMessage(envelope, try MessageCopies(oneToOne: envelope), from: session, id: messageID)
        return try submitNow(.message(message, sendTicket(envelope, requestID: requestID)))
    }

    private func checkedSender(of envelope: Envelope) throws -> (Session, UUID) {
        let session = try signedInUser()
        guard envelope.sender == session.username else {
            throw ProtocolError(.badRequest, "The envelope's sender is not the signed-in user.")
        }
        guard let messageID = UUID(bytes: envelope.messageID) else {
            throw ProtocolError(.badRequest, "The message id must be 16 bytes.")
        }
        guard !envelope.ciphertext.isEmpty else {
            throw ProtocolError(.badRequest, "The envelope carries no ciphertext.")
        }
        return (session, messageID)
    }

    private func incomingMessage(
        _ envelope: Envelope, _ copies: MessageCopies, from session: Session, id messageID: UUID
    ) throws -> IncomingMessage {
        let largest = services.configuration.maxFrameBytes - Wire.pushOverhead
        guard copies.largestItem <= largest else {
            throw ProtocolError(
                .frameTooLarge, "The message is too large: this server delivers at most \(largest) sealed bytes per recipient.")
        }
        return IncomingMessage(
            sender: session.username, messageID: messageID, copies: copies.copies, sharedBody: copies.sharedBody,
            blobs: try Self.blobs(of: envelope), quota: services.configuration.mailboxQuota)
    }

    private func sendTicket(_ envelope: Envelope, requestID: UInt64) -> SendTicket {
        .request(SendRequest(
            requestID: requestID, outbox: outbox, window: window,
            accepted: .with { $0.messageID = envelope.messageID }, isGroup: !envelope.group.isEmpty,
            answersInBatches: protocolVersion >= Wire.acceptedSendsVersion))
    }

    /// Hands `change` to the commit stage, holding a slot of the connection's request window until it is answered.
    private func submit(_ change: MailboxChange) async throws {
        await window.acquire()
        do {
            try await services.mailbox.submit(change, ticket: ())
        } catch {
            window.release()
            throw error
        }
    }

    /// `submit` if the window and the stage's queue have room now; false, with nothing held, if not.
    private func submitNow(_ change: MailboxChange) throws -> Bool {
        guard window.tryAcquire() else { return false }
        let queued: Bool
        do {
            queued = try services.mailbox.submitNow(change, ticket: ())
        } catch {
            window.release()
            throw error
        }
        if !queued { window.release() }
        return queued
    }

    /// One part per current member but the sender, each keeping only that member's wrapped key, and the ciphertext
    /// once; a removed member is simply not among the parts.
    private func groupItems(of envelope: Envelope, from sender: String) async throws -> GroupMailboxItems {
        guard envelope.recipient.isEmpty else {
            throw ProtocolError(.badRequest, "A group message has no single recipient.")
        }
        let members = try await membership(of: envelope.group, for: sender).members
        var keys: [String: Fastchat_V1_WrappedKey] = [:]
        for key in envelope.keys { keys[key.recipient] = key }
        let recipients = members.map(\.username).filter { $0 != sender }
        let memberKeys = recipients.compactMap { recipient in keys[recipient].map { (recipient, $0) } }
        guard memberKeys.count == recipients.count else {
            throw ProtocolError(.staleMembers, "The members of \(envelope.group) changed; fetch them again.")
        }
        return try GroupMailboxItems(envelope, keys: memberKeys)
    }

    func ack(_ request: Fastchat_V1_Ack, requestID: UInt64) async throws {
        let (acknowledgement, ticket) = try checkedAck(request, requestID: requestID)
        try await submit(.acknowledgement(acknowledgement, ticket))
    }

    /// `ack` without suspending (on the connection's event loop): false, with nothing done, when the request window
    /// or the commit queue is full.
    func ackWithoutWaiting(_ request: Fastchat_V1_Ack, requestID: UInt64) throws -> Bool {
        let (acknowledgement, ticket) = try checkedAck(request, requestID: requestID)
        return try submitNow(.acknowledgement(acknowledgement, ticket))
    }

    private func checkedAck(_ request: Fastchat_V1_Ack, requestID: UInt64) throws -> (Acknowledgement, AckTicket) {
        let session = try signedInUser()
        guard request.seqs.count <= Self.maxSeqsPerAck else {
            throw ProtocolError(.badRequest, "At most \(Self.maxSeqsPerAck) messages can be acknowledged at once.")
        }
        let acknowledgement = Acknowledgement(recipient: session.username, seqs: request.seqs.map { Int64(clamping: $0) })
        let quiet = requestID == 0 && protocolVersion >= Wire.quietAcksVersion
        let ticket = AckTicket(
            requestID: requestID, answersSuccess: !quiet, outbox: outbox, window: window, session: session)
        return (acknowledgement, ticket)
    }
}

/// A message's parts: one per recipient, and the body they share (a group message's ciphertext, stored once).
private struct MessageCopies {
    var copies: [IncomingMessage.Copy]
    var sharedBody: Data?
    var largestItem: Int

    init(oneToOne envelope: Envelope) throws {
        let item = try envelope.mailboxItem()
        (copies, sharedBody, largestItem) = ([.init(recipient: envelope.recipient, envelope: item)], nil, item.count)
    }

    init(_ items: GroupMailboxItems) {
        (copies, sharedBody, largestItem) = (items.copies, items.body, items.largestItem)
    }
}
